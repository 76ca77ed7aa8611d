"""The cost of each bundled effect: the pipeline's draw rate at 1080p with the chain off and
on, interleaved in one run (a still frame, half the neurons dead, so `decay` is mid-arc)."""

from __future__ import annotations

from performer.bench.timing import interleaved
from performer.engine.session import Session
from performer.render.fx.source import bundled_effects, find_effect
from performer.render.offscreen import Offscreen
from performer.render.pipeline import Look, Pipeline

FX_SIZE = (1920, 1080)


def fx_figures(session: Session, seconds: float) -> list[dict[str, object]]:
    """One row per bundled effect: fps off, fps on, and the milliseconds it adds per frame."""
    session.registry.set("ablation.dead", 0.5)
    frame = session.engine.step()
    look = Look()
    rows: list[dict[str, object]] = []
    with Offscreen(FX_SIZE) as target:
        plain = Pipeline(target.ctx)

        def show(pipeline: Pipeline) -> None:
            pipeline.upload(frame)
            target.use()
            pipeline.draw(FX_SIZE, look)
            target.finish()

        for name in bundled_effects():
            chained = Pipeline(target.ctx, plain.library, fx=[find_effect(name)])
            rates = interleaved({"off": lambda: show(plain),
                                 "on": lambda p=chained: show(p)}, seconds)  # type: ignore[misc]
            rows.append({"effect": name, "fps_off": rates["off"], "fps_on": rates["on"],
                         "added_ms": 1000.0 / rates["on"] - 1000.0 / rates["off"]})
            chained.release()
        plain.release()
    return rows


def format_fx(rows: list[dict[str, object]]) -> str:
    lines = [f"Effects at {FX_SIZE[0]}x{FX_SIZE[1]} (pipeline draw, chain off vs on, one run):",
             f"| {'effect':<14} | {'fps off':>8} | {'fps on':>8} | {'on/off':>6} | {'+ms':>7} |",
             f"|{'-' * 16}|{'-' * 10}|{'-' * 10}|{'-' * 8}|{'-' * 9}|"]
    for row in rows:
        off, on = float(row["fps_off"]), float(row["fps_on"])  # type: ignore[arg-type]
        lines.append(f"| {row['effect']!s:<14} | {off:8.1f} | {on:8.1f} | {on / off:6.2f} | "
                     f"{float(row['added_ms']):7.1f} |")  # type: ignore[arg-type]
    return "\n".join(lines)
