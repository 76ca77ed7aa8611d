"""Routes: a source moves a parameter on top of its base value.

A route adds `depth × curve(source) × (the target's range)` to the target's base value
(sources run 0..1, depth -1..1), smoothed by a one-pole filter with time constant `smooth`.
Several routes on one target add up; the sum is clamped into the target's range.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from performer.controls import ROUTE_OFF, ROUTES
from performer.engine.drift import smoothstep
from performer.params import Param, Snapshot, Value

CURVES: dict[str, Callable[[float], float]] = {
    "linear": lambda x: x,
    "in": lambda x: x * x,
    "out": lambda x: 1.0 - (1.0 - x) * (1.0 - x),
    "smooth": smoothstep,
    "step": lambda x: 1.0 if x >= 0.5 else 0.0,
}


@dataclass(frozen=True)
class Route:
    slot: int
    source: str
    target: str
    depth: float
    curve: str
    smooth: float


# Each slot's parameter names (source, target, depth, curve, smooth), built once.
ROUTE_NAMES = [tuple(f"route.{slot}.{field}" for field in
                     ("source", "target", "depth", "curve", "smooth"))
               for slot in range(1, ROUTES + 1)]


def routes_of(values: Snapshot) -> list[Route]:
    """The routes the values switch on (source and target both set)."""
    routes = []
    for slot, (source_name, target_name, depth, curve, smooth) in enumerate(ROUTE_NAMES,
                                                                             start=1):
        source, target = values.str(source_name), values.str(target_name)
        if source == ROUTE_OFF or target == ROUTE_OFF:
            continue
        routes.append(Route(slot, source, target, values.float(depth), values.str(curve),
                            values.float(smooth)))
    return routes


def offset(route: Route, source: float, span: float) -> float:
    """The route's unsmoothed push on its target, in the target's units."""
    shaped = CURVES[route.curve](min(max(source, 0.0), 1.0))
    return route.depth * shaped * span


def smoothing(previous: float, target: float, dt: float, seconds: float) -> float:
    """One step of a one-pole low-pass with time constant `seconds` (0: no smoothing)."""
    if seconds <= 0.0:
        return target
    return previous + (target - previous) * (1.0 - math.exp(-dt / seconds))


class Router:
    """Evaluates the routes frame by frame, keeping each route's smoothed push."""

    def __init__(self, params: Mapping[str, Param]) -> None:
        self.params = params
        self._pushes: dict[tuple[int, str, str], float] = {}

    def step(self, values: Snapshot, sources: Mapping[str, float],
             dt: float) -> dict[str, Value]:
        """The modulated value of every routed parameter this frame."""
        totals: dict[str, float] = {}
        pushes: dict[tuple[int, str, str], float] = {}
        for route in routes_of(values):
            param = self.params[route.target]
            raw = offset(route, sources.get(route.source, 0.0), param.maximum - param.minimum)
            key = (route.slot, route.source, route.target)  # a re-pointed route starts afresh
            push = smoothing(self._pushes.get(key, raw), raw, dt, route.smooth)
            pushes[key] = push
            totals[route.target] = totals.get(route.target, 0.0) + push
        self._pushes = pushes
        return {name: self.params[name].coerce(float(values[name]) + push)
                for name, push in totals.items()}
