"""Command line: `performer run | render | layers | scenes | bench | midi list | audio list`."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from performer.control.services import add_arguments as add_service_arguments
from performer.models.base import ModelError
from performer.models.loading import BUILTIN
from performer.outputs.options import add_arguments as add_output_arguments
from performer.render.shaders import ShaderError

log = logging.getLogger("performer")


def parse_size(text: str) -> tuple[int, int]:
    """'1920x1080' -> (1920, 1080)."""
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"size must look like 1920x1080, not {text!r}") from None
    if not (16 <= width <= 16384 and 16 <= height <= 16384):
        raise argparse.ArgumentTypeError(f"size {text} is out of range (16..16384 per side)")
    return width, height


def parse_rate(text: str) -> float:
    """'29.97' -> 29.97: a positive number of pictures per second."""
    try:
        rate = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a rate must be a number, not {text!r}") from None
    if not 1.0 <= rate <= 1000.0:
        raise argparse.ArgumentTypeError(f"rate {text} is out of range (1..1000 per second)")
    return rate


def parse_setting(text: str) -> tuple[str, str]:
    """'ablation.rate=16' -> ('ablation.rate', '16'); checked against the registry later."""
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"--set wants NAME=VALUE, not {text!r}")
    return name.strip(), value.strip()


def route_option(text: str) -> tuple[str, str, float]:
    """`--route`'s argument type: SOURCE:PARAM:DEPTH."""
    from performer.controls import parse_route

    try:
        return parse_route(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _common(parser: argparse.ArgumentParser, settings: bool = False) -> None:
    parser.add_argument("--model", dest="models", action="append", default=[], metavar="M",
                        help="model name, or a .safetensors, StyleGAN2 .pkl (NVlabs) or .pt "
                             f"(rosinality) file (default: {BUILTIN}); repeat it to load "
                             "several and switch with model.select (run and layers)")
    parser.add_argument("--device", default=None, metavar="D",
                        help="cpu, cuda, cuda:N or mps (default: the fastest present)")
    if settings:
        parser.add_argument("--shader", default="face.frag", metavar="FILE",
                            help="fragment shader that draws the face, found on the shader "
                                 "path (default face.frag; see shaders/README.md)")
        parser.add_argument("--fx", action="append", default=None, metavar="FILE",
                            help="an ISF effect file, or a bundled effect by name (decay, "
                                 "trails, rgb_split, kaleidoscope, grain, vignette); repeat "
                                 "for a chain, in order; 'none' for no effects (default: "
                                 "decay)")
        parser.add_argument("--set", dest="settings", type=parse_setting, action="append",
                            default=[], metavar="NAME=VALUE",
                            help="start with a parameter set, e.g. --set output.map=on "
                                 "(repeatable; names as in the README)")
        parser.add_argument("--route", dest="routes", type=route_option, action="append",
                            default=[], metavar="SOURCE:PARAM:DEPTH",
                            help="route a modulation source onto a parameter, e.g. "
                                 "--route lfo1:drift.speed:0.3 (repeatable; fills route slots)")


def _show_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--show", type=Path, default=None, metavar="FILE",
                        help="the show file with the scenes (default: show.toml in the "
                             "user's config folder; made by the first store)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="performer",
        description="A live VJ instrument: switch a face-generating network's neurons off.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="open the performer window")
    _common(run, settings=True)
    run.add_argument("--monitor", type=int, default=0, metavar="N",
                     help="monitor for fullscreen, 0 = primary (default 0)")
    run.add_argument("--fullscreen", action="store_true", help="start fullscreen")
    run.add_argument("--size", type=parse_size, default=(1280, 720), metavar="WxH",
                     help="window size (default 1280x720)")
    run.add_argument("--vsync", action=argparse.BooleanOptionalAction, default=True,
                     help="sync buffer swaps to the refresh (default on)")
    run.add_argument("--seconds", type=float, default=None, help=argparse.SUPPRESS)
    run.add_argument("--output-size", type=parse_size, default=None, metavar="WxH",
                     help="size of the picture outputs and recordings get (default: the "
                          "window's size; 1920x1080 headless)")
    run.add_argument("--headless", action="store_true",
                     help="no window: draw offscreen (EGL) for the outputs, played by OSC and "
                          "MIDI (automatic with no display and an output)")
    run.add_argument("--output-fps", type=parse_rate, default=None, metavar="N",
                     help="pictures per second the outputs get and announce (default: the "
                          "display's refresh rate; 30 headless)")
    _show_argument(run)
    run.add_argument("--show-log", type=Path, default=None, metavar="FILE",
                     help="write the show log here (default: a new file in the user's state "
                          "folder; replay it with performer render --replay)")
    add_service_arguments(run)
    add_output_arguments(run)

    render = commands.add_parser("render", help="render the performance to a video file")
    _common(render, settings=True)
    render.add_argument("--seconds", type=float, default=None,
                        help="length (default: the --audio file's, else 60)")
    render.add_argument("--audio", type=Path, default=None, metavar="FILE",
                        help="a sound file (wav, flac, mp3, ...): its level, bands, onsets "
                             "and beats drive the routes frame by frame, and it is muxed "
                             "into the video")
    render.add_argument("--fps", type=float, default=None,
                        help="frame rate (default 30; a replay: the live frame timing)")
    render.add_argument("--size", type=parse_size, default=None, metavar="WxH",
                        help="video size (default 1920x1080; a replay: the live size)")
    render.add_argument("--replay", type=Path, default=None, metavar="LOG",
                        help="render a show again from its show log (performer run writes "
                             "one); the other schedule options are ignored")
    render.add_argument("--out", type=Path, default=Path("performer.mp4"), metavar="FILE",
                        help="output: .mp4 (H.264), .mov (HAP) or .mkv (lossless FFV1) "
                             "(default performer.mp4)")
    render.add_argument("--codec", choices=("h264", "hap", "ffv1"), default=None,
                        help="default: from the file extension")
    render.add_argument("--rate", type=float, default=None, metavar="R",
                        help="neurons per second (default: every target neuron dies by the end)")
    render.add_argument("--layer", default="all", metavar="L", help="layer name or index, or all")
    render.add_argument("--order", default="importance", metavar="O",
                        help="random, index, magnitude or importance")
    render.add_argument("--fill", default="mean", metavar="F", help="zero, mean or noise")
    render.add_argument("--seed", type=int, default=0, metavar="N",
                        help="face and death-order seed")
    render.add_argument("--drift", type=float, default=0.0, metavar="S",
                        help="latent drift speed, rad/s (default 0: a still face)")
    render.add_argument("--map", action="store_true", help="show the neural memory map")

    layers = commands.add_parser("layers", help="list the model's ablatable layers")
    _common(layers)

    scenes = commands.add_parser("scenes", help="list the scenes of the show file")
    _show_argument(scenes)

    bench = commands.add_parser("bench", help="measure the speed figures")
    _common(bench)
    bench.add_argument("--json", type=Path, default=None, metavar="FILE",
                       help="also write the figures as JSON")
    bench.add_argument("--seconds", type=float, default=3.0,
                       help="seconds per measurement (default 3)")
    bench.add_argument("--first-start", action=argparse.BooleanOptionalAction, default=True,
                       help="time a new model's first start: its statistics measured in the "
                            "background, against their budget (about a minute; default on)")
    bench.add_argument("--stylegan-sizes", default=None, metavar="PX,PX",
                       help="also time random-weight StyleGAN2 generators of these sizes "
                            "(default: 256,1024 when --model is a StyleGAN2; 'none' skips)")
    bench.add_argument("--stylegan3-sizes", default=None, metavar="PX,PX",
                       help="also time random-weight StyleGAN3 (config T) generators of these "
                            "sizes (default: 256 when --model is a StyleGAN3; 'none' skips)")
    bench.add_argument("--nvlabs-checkout", type=Path, default=None, metavar="DIR",
                       help="a clone of NVlabs/stylegan3: time their reference code on the "
                            "same random weights, side by side")

    midi = commands.add_parser("midi", help="MIDI ports and controllers")
    midi_commands = midi.add_subparsers(dest="midi_command", required=True)
    midi_list = midi_commands.add_parser("list", help="list MIDI input and output ports")
    from performer.control.midi.options import add_api_argument

    add_api_argument(midi_list)

    audio = commands.add_parser("audio", help="sound inputs")
    audio_commands = audio.add_subparsers(dest="audio_command", required=True)
    audio_commands.add_parser("list", help="list the sound input devices")
    return parser


def cmd_layers(args: argparse.Namespace) -> int:
    from performer.models.device import choose_device
    from performer.models.loading import load_model

    device = choose_device(args.device)
    for spec in args.models or [None]:
        model = load_model(spec, device)
        if len(args.models) > 1:
            print(f"{model.name}:")
        print(f"{'#':>2}  {'layer':<12} {'neurons':>7}  size")
        for i, layer in enumerate(model.layers):
            print(f"{i:>2}  {layer.name:<12} {layer.channels:>7}  {layer.height}x{layer.width}")
        memory = model.memory_bytes() / 2**20
        print(f"    {'total':<12} {model.neuron_count:>7}  ({memory:.1f} MB in memory)")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="performer: %(message)s",
    )
    if hasattr(args, "models"):  # the first model; `run`, `layers` and replays take them all
        args.model = args.models[0] if args.models else None
        replaying = getattr(args, "replay", None) is not None  # a replay loads them all
        if len(args.models) > 1 and args.command in ("render", "bench") and not replaying:
            log.warning("%s uses the first model only (%s)", args.command, args.model)
    try:
        if args.command == "layers":
            return cmd_layers(args)
        if args.command == "run":
            from performer.app.live import run_live

            return run_live(args)
        if args.command == "render":
            if args.replay is not None:
                from performer.app.replay import replay_video

                return replay_video(args)
            from performer.app.offline import render_video

            args.fps = 30.0 if args.fps is None else args.fps
            args.size = (1920, 1080) if args.size is None else args.size
            return render_video(args)
        if args.command == "scenes":
            from performer.app.scenes import list_scenes

            return list_scenes(args)
        if args.command == "midi":
            from performer.control.midi.service import list_ports

            return list_ports(args)
        if args.command == "audio":
            from performer.control.audio.service import list_devices

            return list_devices()
        if args.command == "bench":
            from performer.bench.run import run_bench

            return run_bench(args)
    except (ModelError, ShaderError, ValueError, OSError, RuntimeError) as err:
        # Known failures (bad model, no display, bad value, a shader, ffmpeg) end in one
        # line; -v adds the traceback for bug reports.
        log.error("%s", err, exc_info=args.verbose)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
