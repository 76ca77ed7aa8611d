"""The public controls of performer: names, ranges, defaults and meaning.

These names are the interface that keyboard, OSC, MIDI profiles and presets share; keep
them stable. `ablation.layer`'s choices depend on the loaded model, so the list is built
for a model's layer names.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

from performer.params import Curve, Kind, Param, ParamChange, Registry

ALL_LAYERS = "all"
ORDERS = ("random", "index", "magnitude", "importance")
FILLS = ("zero", "mean", "noise")
BLACKOUT_FADE_S = 0.75  # output.fade (the B key) takes this long
LEARN_OFF = "off"
LEARN_LAST = "last"
DIRECTIONS = 8  # drift.direction.1 .. drift.direction.8
ORDINALS = ("", "1st", "2nd", "3rd", "4th", "5th", "6th", "7th", "8th")
SCENE_SLOTS = 16  # scene.store / scene.recall offer at least this many scenes
SCENE_NONE = "none"  # scene.recall: no scene on screen; scene.store: nothing to store
QUANTIZE = ("now", "beat", "bar")


def scene_slots(names: Sequence[str]) -> tuple[str, ...]:
    """The show file's scene names, then empty slots named "scene N" up to SCENE_SLOTS, so
    a pad or a number key can store into a slot nobody has named yet."""
    slots = list(names)
    taken = {name.lower() for name in slots}
    number = len(slots)
    while len(slots) < SCENE_SLOTS:
        number += 1
        name = f"scene {number}"
        if name not in taken:
            slots.append(name)
    return tuple(slots)


def declare(layer_names: Sequence[str], extra: Sequence[Param] = (),
            scene_names: Sequence[str] = ()) -> list[Param]:
    """Every parameter, with `ablation.layer` offering 'all' plus the model's layers, the
    model's own `extra` controls (which MIDI learn can bind like the others), and the show
    file's `scene_names` as scene.store / scene.recall choices."""
    slots = scene_slots(scene_names)
    params = [
        # --- ablation: the heart of the piece ---
        Param("ablation.dead", Kind.FLOAT, 0.0,
              "Fraction of the target neurons switched off; a fader scrubs it directly.",
              unit="fraction"),
        Param("ablation.rate", Kind.FLOAT, 0.0,
              "Neurons that die (or come back, with revive) every second; 0 holds.",
              unit="neurons/s", maximum=2000.0, curve=Curve.SQUARE),
        Param("ablation.revive", Kind.TOGGLE, False,
              "Reverse the rate: neurons come back in reverse order of death."),
        Param("ablation.layer", Kind.CHOICE, ALL_LAYERS,
              "Which neurons are targeted: every layer, or one layer.",
              choices=(ALL_LAYERS, *layer_names)),
        Param("ablation.order", Kind.CHOICE, "importance",
              "Order in which neurons die: seeded random, channel index, activation "
              "magnitude (weakest first) or measured importance (least first).",
              choices=ORDERS),
        Param("ablation.fill", Kind.CHOICE, "mean",
              "What a dead neuron outputs: zero, its mean activation, or noise.",
              choices=FILLS),
        Param("ablation.seed", Kind.INT, 0, "Seed of the random death order.",
              maximum=2**31 - 1),
        Param("ablation.reset", Kind.TRIGGER, False, "Bring every neuron back at once."),
        # --- drift: the latent walk ---
        Param("drift.speed", Kind.FLOAT, 0.0,
              "Speed of the smooth walk through face space (radians of the latent "
              "hypersphere per second).", unit="rad/s", maximum=2.0, curve=Curve.SQUARE),
        Param("drift.new", Kind.TRIGGER, False, "Glide to a new face."),
        Param("drift.freeze", Kind.TOGGLE, False, "Hold the face still (walk and glides pause)."),
        Param("drift.seed", Kind.INT, 0,
              "The face: changing it glides to the face of that seed.", maximum=2**31 - 1),
        Param("drift.glide", Kind.FLOAT, 2.0, "Duration of a glide to a new face.",
              unit="s", minimum=0.0, maximum=10.0),
        # --- output ---
        Param("output.blackout", Kind.FLOAT, 0.0, "Fade to black: 0 shows, 1 is black."),
        Param("output.fade", Kind.TRIGGER, False,
              f"Fade to black over {BLACKOUT_FADE_S:g} s, or back from black if mostly black "
              "(the B key)."),
        Param("output.map", Kind.TOGGLE, False, "Show the neural memory map."),
        Param("output.fullscreen", Kind.TOGGLE, False, "Fullscreen on the chosen monitor."),
        Param("output.crossfade", Kind.FLOAT, 0.0,
              "Cross-fade from the previous frame over this time (smooths slow generators).",
              unit="s", maximum=1.0),
        Param("output.record", Kind.TOGGLE, False,
              "Record the output picture to a file (--record FILE names it; each start "
              "makes a new file)."),
        # --- tempo: MIDI clock, tap tempo, and what follows the beat ---
        Param("tempo.bpm", Kind.FLOAT, 120.0,
              "Tempo; incoming MIDI clock and tap tempo set it.", unit="BPM",
              minimum=20.0, maximum=300.0),
        Param("tempo.tap", Kind.TRIGGER, False, "Tap tempo: the beat between taps sets the BPM."),
        Param("tempo.downbeat", Kind.TRIGGER, False,
              "Count bars from here (a MIDI clock start fires it)."),
        Param("tempo.bar", Kind.TRIGGER, False,
              "A bar line from a clock (MIDI clock, Ableton Link): the beat count (synced "
              "LFOs, drift.bars, quantized recalls) lines up to it."),
        Param("ablation.sync", Kind.TOGGLE, False,
              "Read ablation.rate as neurons per beat instead of per second."),
        Param("drift.bars", Kind.INT, 0,
              "Glide to a new face every this many bars (4 beats); 0 is off.", maximum=64),
        # --- semantic directions: knobs found in the weights (models/directions.py) ---
        *(Param(f"drift.direction.{i}", Kind.FLOAT, 0.0,
                f"Move the face along the model's semantic direction {i} (the {ORDINALS[i]} "
                "most visible one found in its weights); 0 leaves the face as it is.",
                unit="reach", minimum=-1.0, maximum=1.0) for i in range(1, DIRECTIONS + 1)),
        # --- scenes: named sets of values from the show file ---
        Param("scene.recall", Kind.CHOICE, SCENE_NONE,
              "Recall a scene (by name, or 1-based number over OSC); it shows the scene on "
              "screen, and goes back to none once a value the scene holds is changed.",
              choices=(*slots, SCENE_NONE)),
        Param("scene.store", Kind.CHOICE, SCENE_NONE,
              "Store the current values into a scene (an empty slot stores every parameter, "
              "a scene keeps its own groups); reads none again once stored.",
              choices=(*slots, SCENE_NONE)),
        Param("scene.morph", Kind.FLOAT, 0.0,
              "Duration of the move to a recalled scene; 0 cuts.", unit="s", maximum=60.0,
              curve=Curve.SQUARE),
        Param("scene.quantize", Kind.CHOICE, "now",
              "Hold a recall until the next beat or bar of tempo.bpm, or recall now.",
              choices=QUANTIZE),
        *extra,
    ]
    params += modulation_params(params)
    # MIDI learn: the next control moved is bound to the parameter named here.
    learnable = tuple(p.name for p in params)
    params.append(Param("midi.learn", Kind.CHOICE, LEARN_OFF,
                        "MIDI learn: the next control moved is bound to this parameter "
                        "(\"last\": the one last changed from keys or OSC).",
                        choices=(LEARN_OFF, LEARN_LAST, *learnable)))
    return params


def model_choice(names: Sequence[str]) -> Param:
    """`model.select`, declared when a show loads several models (`--model` repeated)."""
    return Param("model.select", Kind.CHOICE, names[0],
                 "The model on screen, among those loaded (--model repeated); the switch "
                 "cross-fades over output.crossfade, and one still loading is waited for.",
                 choices=tuple(names))


# --- modulation: sources (LFOs, envelopes, the show, audio) and routes onto parameters ---
LFOS = 4
ENVELOPES = 4
ROUTES = 8
LFO_SHAPES = ("sine", "triangle", "saw", "square", "hold", "smooth")
# A synced LFO's cycle in beats ("free" runs at lfo.N.rate Hz instead).
LFO_BEATS = {"free": 0.0, "1/16": 0.25, "1/8": 0.5, "1/4": 1.0, "1/2": 2.0, "1 bar": 4.0,
             "2 bars": 8.0, "4 bars": 16.0}
ROUTE_CURVES = ("linear", "in", "out", "smooth", "step")
ROUTE_OFF = "off"
AUDIO_LEVELS = ("audio.level", "audio.low", "audio.mid", "audio.high")
AUDIO_HITS = ("audio.onset", "audio.beat")
SHOW_SOURCES = ("show.alive", "show.beat", "show.bar")
SOURCES = (*(f"lfo{i}" for i in range(1, LFOS + 1)),
           *(f"env{i}" for i in range(1, ENVELOPES + 1)),
           *SHOW_SOURCES, *AUDIO_LEVELS, *AUDIO_HITS)


# Read by the engine's automation or by the modulation itself, both of which run on the base
# values before the routes: a route on them would move nothing.
UNROUTABLE_GROUPS = ("route", "audio", "lfo", "env")
UNROUTABLE = ("ablation.rate", "drift.bars", "tempo.bpm", "scene.morph")


def route_targets(params: Sequence[Param]) -> tuple[str, ...]:
    """The parameters a route may move: every number the frame is made with (not the
    audio analysis, which is a source, nor what is read before the routes run)."""
    return tuple(p.name for p in params if p.kind in (Kind.FLOAT, Kind.INT)
                 and p.group not in UNROUTABLE_GROUPS and p.name not in UNROUTABLE)


def modulation_params(params: Sequence[Param]) -> list[Param]:
    """LFO, envelope, audio-feature and route parameters; routes may target `params`'
    numbers (`route_targets`)."""
    declared: list[Param] = []
    for i in range(1, LFOS + 1):
        declared += [
            Param(f"lfo.{i}.shape", Kind.CHOICE, "sine",
                  f"Wave of source lfo{i}: sine, triangle, saw, square, hold (sample and "
                  "hold) or smooth (smooth random).", choices=LFO_SHAPES),
            Param(f"lfo.{i}.rate", Kind.FLOAT, 0.25, f"Cycles per second of lfo{i} when free.",
                  unit="Hz", maximum=20.0, curve=Curve.SQUARE),
            Param(f"lfo.{i}.sync", Kind.CHOICE, "free",
                  f"lfo{i}'s cycle as a beat division at tempo.bpm (restarts on the "
                  "downbeat), or free (lfo.N.rate).", choices=tuple(LFO_BEATS)),
            Param(f"lfo.{i}.phase", Kind.FLOAT, 0.0, f"Phase offset of lfo{i}.",
                  unit="cycles"),
        ]
    for i in range(1, ENVELOPES + 1):
        declared += [
            Param(f"env.{i}.hit", Kind.TRIGGER, False,
                  f"Fire envelope env{i} (a drum pad, a key, an OSC message); a MIDI note "
                  f"sets env.{i}.velocity to its velocity.", strength=f"env.{i}.velocity"),
            Param(f"env.{i}.velocity", Kind.FLOAT, 1.0, f"Peak of env{i}'s next hits."),
            Param(f"env.{i}.attack", Kind.FLOAT, 0.005, f"Rise time of env{i}.", unit="s",
                  maximum=4.0, curve=Curve.SQUARE),
            Param(f"env.{i}.decay", Kind.FLOAT, 0.3, f"Fall time of env{i}.", unit="s",
                  maximum=8.0, curve=Curve.SQUARE),
        ]
    declared += [
        *(Param(name, Kind.FLOAT, 0.0,
                f"Audio input {name.split('.')[1]} (written by the audio analysis; a source).")
          for name in AUDIO_LEVELS),
        Param("audio.onset", Kind.TRIGGER, False,
              "An onset in the audio input (fired by the audio analysis; a source)."),
        Param("audio.beat", Kind.TRIGGER, False,
              "A beat in the audio input (fired by the audio analysis; a source)."),
        Param("audio.decay", Kind.FLOAT, 0.15,
              "How long the audio.onset and audio.beat sources fall from 1 to 0.", unit="s",
              minimum=0.01, maximum=2.0),
    ]
    targets = (ROUTE_OFF, *route_targets([*params, *declared]))
    for i in range(1, ROUTES + 1):
        declared += [
            Param(f"route.{i}.source", Kind.CHOICE, ROUTE_OFF, f"Source of route {i}.",
                  choices=(ROUTE_OFF, *SOURCES)),
            Param(f"route.{i}.target", Kind.CHOICE, ROUTE_OFF,
                  f"Parameter route {i} moves (on top of its base value).", choices=targets),
            Param(f"route.{i}.depth", Kind.FLOAT, 0.0,
                  f"How far route {i} moves its target, as a fraction of the target's "
                  "range (negative: downwards).", minimum=-1.0, maximum=1.0),
            Param(f"route.{i}.curve", Kind.CHOICE, "linear",
                  f"Shape applied to route {i}'s source: linear, in (x²), out, smooth "
                  "(s-curve) or step (on above one half).", choices=ROUTE_CURVES),
            Param(f"route.{i}.smooth", Kind.FLOAT, 0.0,
                  f"Time constant that smooths route {i}'s movement.", unit="s", maximum=2.0,
                  curve=Curve.SQUARE),
        ]
    return declared


def layer_names(registry: Registry) -> tuple[str, ...]:
    """The model's layer names, as `ablation.layer` offers them (without 'all')."""
    return tuple(c for c in registry.param("ablation.layer").choices if c != ALL_LAYERS)


def make_registry(layer_names: Sequence[str], extra: Sequence[Param] = (),
                  scene_names: Sequence[str] = ()) -> Registry:
    """The declared controls plus the loaded model's own (`AblatableGenerator.extra_params`)."""
    return Registry(declare(layer_names, extra, scene_names))


def apply_settings(registry: Registry, settings: Sequence[tuple[str, str]], source: str) -> None:
    """Text settings from the command line or a preset; on/off/true/false for toggles."""
    words = {"on": 1.0, "true": 1.0, "yes": 1.0, "off": 0.0, "false": 0.0, "no": 0.0}
    for name, text in settings:
        value: object = words.get(text.lower(), text)
        if isinstance(value, str):
            with contextlib.suppress(ValueError):  # not a number: a choice name
                value = float(value)
        registry.set(name, value, source)


def parse_route(text: str) -> tuple[str, str, float]:
    """'audio.onset:output.blackout:1' -> (source, target, depth); names are checked when
    the route is set."""
    parts = text.split(":")
    try:
        source, target, depth = parts
        return source.strip(), target.strip(), float(depth)
    except ValueError:
        raise ValueError(f"--route wants SOURCE:PARAM:DEPTH (e.g. lfo1:drift.speed:0.3), "
                         f"not {text!r}") from None


def fill_routes(registry: Registry, routes: Sequence[tuple[str, str, float]],
                source: str) -> None:
    """Put each route in the next free route slot (one whose source is off)."""
    free = [i for i in range(1, ROUTES + 1) if registry.value(f"route.{i}.source") == ROUTE_OFF]
    if len(routes) > len(free):
        raise ValueError(f"{len(routes)} routes given, {len(free)} route slots free "
                         f"(there are {ROUTES})")
    targets = registry.param("route.1.target").choices
    for origin, target, _ in routes:
        if origin not in SOURCES:
            raise ValueError(f"route: unknown source {origin!r}; sources: {', '.join(SOURCES)}")
        if target not in targets or target == ROUTE_OFF:
            raise ValueError(f"route: {target!r} is not a parameter a route can move (any "
                             "number the README's parameter table lists)")
    for slot, (origin, target, depth) in zip(free, routes, strict=False):
        registry.apply([ParamChange(f"route.{slot}.source", origin, source),
                        ParamChange(f"route.{slot}.target", target, source),
                        ParamChange(f"route.{slot}.depth", depth, source)])


def resolve_layer(text: str, layer_names: Sequence[str]) -> str:
    """A layer given by name or 0-based index (as on the command line) -> its choice name."""
    if text.lower() == ALL_LAYERS:
        return ALL_LAYERS
    if text.isdigit():
        index = int(text)
        if index >= len(layer_names):
            raise ValueError(f"layer index {index} is out of range (0..{len(layer_names) - 1})")
        return layer_names[index]
    if text not in layer_names:
        raise ValueError(f"unknown layer {text!r}; layers: all, {', '.join(layer_names)}")
    return text
