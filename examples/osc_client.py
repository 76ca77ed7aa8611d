"""Play performer from a script over OSC, and print the feedback it sends back.

Start `performer run` first (it listens on 127.0.0.1:8000 and sends feedback to
127.0.0.1:9000), then: `python examples/osc_client.py`. Needs only python-osc.
"""

from __future__ import annotations

import argparse
import threading
import time

from pythonosc.dispatcher import Dispatcher
from pythonosc.osc_server import BlockingOSCUDPServer
from pythonosc.udp_client import SimpleUDPClient


def listen_for_feedback(port: int) -> BlockingOSCUDPServer:
    """Print what performer sends back: the living neurons and the scrub position."""
    last_print = 0.0

    def show(address: str, value: float) -> None:
        nonlocal last_print
        now = time.monotonic()
        if now - last_print >= 0.5:  # state arrives 5 times a second; print twice
            last_print = now
            print(f"  feedback {address} = {value:.3f}")

    dispatcher = Dispatcher()
    dispatcher.map("/performer/state/alive/all", show)
    dispatcher.map("/performer/ablation/dead", show)
    server = BlockingOSCUDPServer(("127.0.0.1", port), dispatcher)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", help="performer's address")
    parser.add_argument("--port", type=int, default=8000, help="performer's OSC port")
    parser.add_argument("--feedback", type=int, default=9000, help="port to hear feedback on")
    args = parser.parse_args()

    feedback = listen_for_feedback(args.feedback)
    osc = SimpleUDPClient(args.host, args.port)

    print("reset, every neuron alive; death order: importance")
    osc.send_message("/performer/ablation/reset", 1)
    osc.send_message("/performer/ablation/order", "importance")
    time.sleep(1.0)

    print("scrub: kill 80 % of the neurons over 8 seconds (a fader, 0..1)")
    for step in range(241):
        osc.send_message("/performer/ablation/dead", 0.8 * step / 240)
        time.sleep(1 / 30)

    print("revive: 60 neurons a second come back (raw address, in neurons/s)")
    osc.send_message("/performer/ablation/revive", 1)
    osc.send_message("/performer/raw/ablation/rate", 60.0)
    time.sleep(8.0)

    print("stop, and glide to a new face")
    osc.send_message("/performer/raw/ablation/rate", 0.0)
    osc.send_message("/performer/ablation/revive", 0)
    osc.send_message("/performer/drift/new", 1)
    time.sleep(2.0)
    feedback.shutdown()


if __name__ == "__main__":
    main()
