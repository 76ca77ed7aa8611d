"""`performer bench`: the speed figures, measured in one run.

Each comparison interleaves its contenders in short rounds, so a noisy shared machine
slows both sides alike and the ratios stay meaningful. Figures, never pass/fail.
"""

from __future__ import annotations

import argparse
import json
import logging
import platform
import subprocess
import sys
import time

import torch

from performer.bench import models as models_bench
from performer.bench import outputs as outputs_bench
from performer.bench.fx import format_fx, fx_figures
from performer.bench.osc import LATENCY_SAMPLES, osc_figures
from performer.bench.show_log import format_show_log, show_log_figures
from performer.bench.timing import interleaved, timed_forward, without_masks
from performer.bench.web import CONSOLES, web_figures
from performer.engine.clock import WallClock
from performer.engine.session import Session, open_session
from performer.frame import Frame
from performer.mailbox import Mailbox
from performer.render.offscreen import Offscreen
from performer.render.pipeline import Look, Pipeline

log = logging.getLogger(__name__)

BENCH_SIZE = (1920, 1080)


def generator_figures(session: Session, seconds: float) -> dict[str, float]:
    model, engine, registry = session.model, session.engine, session.registry
    z = model.sample_latents(1, 0).to(session.device)
    bare = without_masks(model)
    registry.set("ablation.dead", 0.5)
    registry.set("ablation.fill", "mean")
    engine.step()  # masks now hold half the neurons dead

    rates = interleaved({"bare": timed_forward(bare, z, session.device),
                         "ablated": timed_forward(model, z, session.device)}, seconds)
    return {
        "generator_fps": rates["bare"],
        "ablated_generator_fps": rates["ablated"],
        "ablation_overhead_pct": (rates["bare"] / rates["ablated"] - 1.0) * 100.0,
    }


def display_figures(session: Session, seconds: float) -> dict[str, float | str]:
    """Display-only fps, and the whole pipeline's fps, both at 1920x1080 offscreen."""
    registry, engine = session.registry, session.engine
    registry.set("ablation.rate", 8.0)
    registry.set("drift.speed", 0.3)
    registry.set("output.map", True)
    look = Look(blackout=0.0, show_map=True, crossfade=0.0)
    with Offscreen(BENCH_SIZE) as target:
        pipeline = Pipeline(target.ctx)
        still = engine.step()

        def show(frame: Frame) -> None:
            pipeline.upload(frame)  # a no-op for a frame already uploaded
            target.use()
            pipeline.draw(BENCH_SIZE, look)
            target.finish()

        display_fps = interleaved({"display": lambda: show(still)}, seconds)["display"]

        engine.clock = WallClock()
        mailbox: Mailbox[Frame] = Mailbox()
        engine.start(mailbox)
        shown = 0
        started = time.perf_counter()
        try:
            while time.perf_counter() - started < seconds:
                frame = mailbox.take(timeout=0.5)
                if frame is None:
                    continue
                show(frame)
                shown += 1
        finally:
            engine.stop()
        pipeline_fps = shown / (time.perf_counter() - started)
        renderer = target.ctx.info["GL_RENDERER"]
    return {"display_fps": display_fps, "pipeline_fps": pipeline_fps, "gl_renderer": renderer}


def start_to_first_frame(model: str | None, device: str | None) -> float:
    """Seconds from launching a fresh interpreter to the first frame drawn offscreen."""
    code = (
        "import time; t0 = time.perf_counter()\n"
        "from performer.engine.session import open_session\n"
        "from performer.render.offscreen import Offscreen\n"
        "from performer.render.pipeline import Look, Pipeline\n"
        f"s = open_session({model!r}, {device!r})\n"
        "with Offscreen((1280, 720)) as t:\n"
        "    p = Pipeline(t.ctx); p.upload(s.engine.step()); t.use()\n"
        "    p.draw((1280, 720), Look(0.0, False, 0.0)); t.read_rgb()\n"
        "print(time.perf_counter() - t0)\n"
    )
    launched = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    total = time.perf_counter() - launched
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        log.warning("start-to-first-frame run failed: %s", last)
        return float("nan")
    return total


def run_bench(args: argparse.Namespace) -> int:
    session = open_session(args.model, args.device)
    session.settle()  # the figures below are for a show whose statistics are measured
    figures: dict[str, object] = {
        "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
        "cpu_threads": torch.get_num_threads(),
        "device": str(session.device),
        "torch": torch.__version__,
        "model": session.model.name,
    }
    log.info("measuring the generator (%.0f s)...", args.seconds)
    generator = generator_figures(session, args.seconds)
    log.info("measuring display and pipeline at %dx%d (%.0f s)...", *BENCH_SIZE, args.seconds)
    display = display_figures(session, args.seconds)
    display_fps, pipeline_fps = float(display["display_fps"]), float(display["pipeline_fps"])
    ratio = pipeline_fps / min(generator["generator_fps"], display_fps)
    figures.update(generator)
    figures.update(display)
    figures["pipeline_ratio"] = ratio
    figures["start_to_first_frame_s"] = start_to_first_frame(args.model, args.device)
    log.info("measuring each bundled effect at 1920x1080, chain off and on...")
    fx_rows = fx_figures(session, args.seconds)
    figures["fx"] = fx_rows
    log.info("measuring OSC latency (up to %d samples) and jitter under a flood...",
             LATENCY_SAMPLES)
    figures.update(osc_figures(session, args.seconds))
    log.info("measuring the show log's growth under 1,000 OSC messages a second...")
    figures.update(show_log_figures(session, args.seconds))
    log.info("measuring the web console: pipeline with 0 and %d consoles, fader latency...",
             CONSOLES)
    figures.update(web_figures(session, args.seconds))
    log.info("measuring MIDI latency over a JACK dummy server...")
    figures.update(midi_latency(args.model, args.device))
    log.info("measuring the outputs at %dx%d: read-back, NDI, recording (%.0f s)...",
             *BENCH_SIZE, args.seconds)
    figures.update(outputs_bench.measure(session, args.seconds))
    log.info("measuring audio analysis and onset latency over a JACK dummy server...")
    figures.update(audio_figures(args.model, args.device))
    if args.first_start:
        log.info("measuring a new model's first start (about a minute)...")
        figures.update(models_bench.statistics_figures(session.device))
    log.info("measuring a model switch...")
    figures.update(models_bench.switch_figures(session.device))
    print(format_table(figures))
    print(format_midi(figures))
    print(outputs_bench.format_outputs(figures))
    print(format_show_log(figures))
    print(format_fx(fx_rows))
    print(models_bench.format_models(figures))
    from performer.bench.audio import format_audio

    print(format_audio(figures))
    rows = stylegan_rows(args, session)
    if rows:
        figures["stylegan_random_weights"] = rows
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 0


def stylegan_rows(args: argparse.Namespace, session: Session) -> list[dict[str, object]]:
    """Random-weight StyleGAN2 and StyleGAN3 rows (speed, GFLOP/s vs sgemm, NVlabs), printed."""
    from performer.bench.stylegan import (
        format_stylegan_table,
        random_generator,
        stylegan_figures,
    )
    from performer.models.stylegan2 import StyleGAN2Generator
    from performer.models.stylegan3 import StyleGAN3Generator

    wanted = [("stylegan2", size) for size in stylegan_sizes(
        args.stylegan_sizes, isinstance(session.model, StyleGAN2Generator), [256, 1024])]
    wanted += [("stylegan3", size) for size in stylegan_sizes(
        args.stylegan3_sizes, isinstance(session.model, StyleGAN3Generator), [256])]
    rows = []
    for family, size in wanted:
        log.info("timing a random-weight %s generator at %d px...", family, size)
        rows.append(stylegan_figures(random_generator(family, size), session.device,
                                     args.seconds, args.nvlabs_checkout))
    if rows:
        print(format_stylegan_table(rows))
    return rows


def stylegan_sizes(option: str | None, default_on: bool, default: list[int]) -> list[int]:
    """Sizes for a family's figures: the option's list, else `default` when the loaded
    model is of that family."""
    if option is None:
        return default if default_on else []
    if option.strip().lower() in ("", "none"):
        return []
    try:
        return [int(part) for part in option.split(",")]
    except ValueError:
        raise ValueError(f"sizes look like 256,1024, not {option!r}") from None


def midi_latency(model: str | None, device: str | None) -> dict[str, object]:
    """MIDI CC (JACK) -> first frame that used it, measured in a child process with a time
    limit (see performer/bench/midi.py); skipped in one line without jackd."""
    command = [sys.executable, "-m", "performer.bench.midi"]
    command += [f"--model={model}"] if model else []
    command += [f"--device={device}"] if device else []
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=180)
        stdout, stderr = result.stdout, result.stderr
    except subprocess.TimeoutExpired as err:  # figures come before the ports close
        stdout = err.stdout.decode() if isinstance(err.stdout, bytes) else (err.stdout or "")
        stderr = "the MIDI measurement did not finish within 180 s"
    lines = [line for line in stdout.splitlines() if line.startswith("{")]
    if not lines:
        last = (stderr.strip().splitlines() or ["no output"])[-1]
        return {"midi_skipped": f"the MIDI measurement failed: {last}"}
    figures: dict[str, object] = json.loads(lines[-1])
    return figures


def audio_figures(model: str | None, device: str | None) -> dict[str, object]:
    """Analysis cost and onset -> frame latency, in a child process with a time limit
    (see performer/bench/audio.py)."""
    command = [sys.executable, "-m", "performer.bench.audio"]
    command += [f"--model={model}"] if model else []
    command += [f"--device={device}"] if device else []
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=180)
    except subprocess.TimeoutExpired:
        return {"audio_analysis_ms_per_frame": float("nan"),
                "audio_analysis_realtime_pct": float("nan"),
                "audio_skipped": "the audio measurement did not finish within 180 s"}
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    if not lines:
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        return {"audio_analysis_ms_per_frame": float("nan"),
                "audio_analysis_realtime_pct": float("nan"),
                "audio_skipped": f"the audio measurement failed: {last}"}
    figures: dict[str, object] = json.loads(lines[-1])
    return figures


def format_midi(figures: dict[str, object]) -> str:
    if "midi_skipped" in figures:
        return f"MIDI latency: skipped ({figures['midi_skipped']})"
    return (
        f"MIDI CC over JACK (period {figures['midi_jack_period_ms']:.2f} ms) -> first frame "
        f"that used it, {figures['midi_samples']} samples: p50 "
        f"{figures['midi_latency_p50_ms']:.1f} ms, p99 {figures['midi_latency_p99_ms']:.1f} ms "
        f"(goal <= {figures['midi_latency_goal_ms']:.1f} ms = JACK period + one 60 Hz refresh "
        f"+ one generator step)"
    )


GOALS = {
    "pipeline_ratio": ("pipeline / min(generator, display)", ">= 0.9"),
    "ablation_overhead_pct": ("ablation overhead vs bare forward (%)", "<= 3"),
    "start_to_first_frame_s": ("start to first frame (s)", "<= 3"),
    "osc_latency_p99_ms": ("OSC sent -> first frame using it, p99 (ms)", "<= 25"),
    "osc_jitter_ratio": ("frame interval p99/median, 1,000 OSC msg/s", "<= 1.5"),
    "web_pipeline_ratio": (f"pipeline fps, {CONSOLES} consoles / none", ">= 0.9"),
    "web_latency_p99_ms": ("console -> first frame using it, p99 (ms)", "<= 25"),
}


def format_table(figures: dict[str, object]) -> str:
    labels = {
        "generator_fps": "bare generator, batch 1 (fps)",
        "ablated_generator_fps": "generator with ablation masks (fps)",
        "display_fps": f"display only, {BENCH_SIZE[0]}x{BENCH_SIZE[1]} offscreen (fps)",
        "pipeline_fps": "pipeline: ablation + drift + display (fps)",
        "osc_latency_p50_ms": "OSC sent -> first frame using it, p50 (ms)",
        "osc_latency_samples": "OSC latency samples",
        "osc_jitter_quiet": "frame interval p99/median, no OSC",
        "osc_jitter_10k": "frame interval p99/median, 10,000 msg/s",
        "osc_dropped": "OSC datagrams dropped (queue full)",
        "web_pipeline_fps_0": "pipeline fps, no console (1920x1080)",
        f"web_pipeline_fps_{CONSOLES}": f"pipeline fps, {CONSOLES} consoles connected",
        "web_latency_p50_ms": "console -> first frame using it, p50 (ms)",
        "web_latency_samples": "console latency samples",
        **{key: label for key, (label, _) in GOALS.items()},
    }
    rows = [f"| {'figure':<42} | {'value':>9} | goal |", f"|{'-' * 44}|{'-' * 11}|------|"]
    for key, label in labels.items():
        value = figures[key]
        shown = f"{value:9.2f}" if isinstance(value, float) else str(value)
        rows.append(f"| {label:<42} | {shown:>9} | {GOALS.get(key, ('', ''))[1]} |")
    keys = ("device", "cpu_threads", "gl_renderer", "torch", "model")
    header = ", ".join(f"{k} {figures[k]}" for k in keys)
    return header + "\n" + "\n".join(rows)


