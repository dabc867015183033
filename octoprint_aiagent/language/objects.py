"""Objects in a request: which named part a clause describes and what each of its sizes is.

``reading`` finds the sizes and what each measures; this module decides the object kind (a hollow
cylinder is a ``tube``, a box with walls an ``open_box``), puts every size into a parameter of that
kind (``vocabulary.ROLE_TARGETS``) and works out derived sizes (a ring's outer diameter from its
inner diameter and wall). A size it cannot place, two sizes for one parameter, or a missing
required size is an AgentError: it never guesses a size.
"""

from __future__ import annotations

import math
from dataclasses import replace

from ..model.errors import AgentError
from ..model.spec import KINDS
from ..model.templates import OPEN_TEMPLATES
from .reading import STAGE, Reading, Sized
from .vocabulary import FOR_SCREWS, ORDER, ORDER_BY_COUNT, targets_for

_BOXES = ("box", "open_box", "box_with_lid", "plate_with_holes")
_FEATURE_KINDS = {
    "hole": ("tube", "gear", "plate_with_holes"),
    # a tube's wall is what its two diameters leave; the others have a wall thickness of their own
    "wall": ("tube",) + tuple(k for k, t in KINDS.items() if "wall" in t.param_names),
    "teeth": ("gear",),
}
_FEATURE_NAMES = {"hole": "holes", "wall": "walls", "teeth": "teeth"}
# Solids that "hollow" or "with 2 mm walls" turns into a shell feature (closed unless said open).
HOLLOWED = ("box", "cube", "hex_prism", "triangular_prism")

Values = dict[str, tuple[float, str]]  # parameter -> (value, the words that stated it)

# A kind named with a feature or flag is a more specific kind: (named, signal, made); first match wins.
_REFINEMENTS = (
    ("box", "lid", "box_with_lid"),
    ("box", "open", "open_box"),
    ("box", "round", "cylinder"),
    ("box", "hole", "plate_with_holes"),
    ("box", "wall", "open_box"),
    ("cylinder", "square", "box"),
    ("cylinder", "rectangular", "box"),
    ("cylinder", "open", "cup"),
    ("cylinder", "floor", "cup"),
    ("cylinder", "hollow", "tube"),
    ("cylinder", "hole", "tube"),
    ("cylinder", "wall", "tube"),
    ("cylinder", "inner_diameter", "tube"),
    ("cylinder", "inner_radius", "tube"),
    ("open_box", "lid", "box_with_lid"),
    ("open_box", "round", "cup"),
    ("cup", "square", "open_box"),
    ("cup", "rectangular", "open_box"),
    ("wall_hook", "rail", "rail_hook"),
    ("wall_hook", "door", "door_hook"),
    ("box", "board", "enclosure"),
    ("open_box", "board", "enclosure"),
    ("box_with_lid", "board", "enclosure"),
    ("box_with_lid", "screw_lid", "enclosure"),
)
_REFINEMENT_NOTES = {("box", "wall"): "a box with walls and no lid mentioned: made with an open top"}


_LABELS = {"l_bracket": "L bracket", "t_bracket": "T bracket"}


def label(kind: str) -> str:
    return _LABELS.get(kind, kind.replace("_", " "))


def a_label(kind: str) -> str:
    """ "a cube", "an open box", "an L bracket" (a capital said as a letter: "el", "em", ...)."""
    text = label(kind)
    vowel_sound = text[0] in "aeiou" or (text[0] in "FHLMNRSX" and text[1:2] == " ")
    return f"{'an' if vowel_sound else 'a'} {text}"


def resolve_kind(reading: Reading) -> tuple[str, str, list[str]]:
    """The kind of object named, refined by its features. Returns (kind, noun as written, notes)."""
    kinds = list(dict.fromkeys(n.kind for n in reading.nouns))
    if len(kinds) > 1 and any(k not in _FASTENERS for k in kinds):
        # "a bracket for M4 screws": the screws are what the part is for, not another part.
        reading = replace(reading, nouns=[n for n in reading.nouns if n.kind not in _FASTENERS])
        kinds = [k for k in kinds if k not in _FASTENERS]
    if not kinds:
        raise AgentError(
            STAGE,
            "I did not understand what object to make",
            hint="name the object and its sizes, e.g. 'a 20 mm cube' or 'a cylinder 30 mm wide and 10 mm tall'; "
            f"I know: {', '.join(label(k) for k in KINDS)}",
        )
    standard = _for_screws(reading)
    shaped = _shaped(reading)
    if standard is not None:
        kind, noun = standard
    elif shaped is not None:
        kind, noun = shaped
    elif len(kinds) > 1:
        raise AgentError(
            STAGE,
            f"the request names more than one object ({' and '.join(label(k) for k in kinds)}); describe one part at a time",
        )
    else:
        kind, noun = kinds[0], reading.nouns[0].noun
    features = _features(reading)
    signals = (reading.flags | features | {r for r in ("floor", "inner_diameter", "inner_radius", "rail", "door") if r in reading.roles}
               | {p[0] for p in reading.places})
    notes: list[str] = []
    head = next((p[1] for p in reading.places if p[0] == "head"), None)
    if kind in ("hex_bolt", "cap_screw") and head:
        kind = "hex_bolt" if head == "hex" else "cap_screw"
    refined, seen = True, {kind}
    while refined:  # "a box with a lid for a Raspberry Pi": box -> box with lid -> enclosure
        refined = False
        for named, signal, made in _REFINEMENTS:
            # "round" and "square" together would turn a box into a cylinder and back forever
            if kind == named and signal in signals and made not in seen:
                kind, refined = made, True
                seen.add(made)
                if (named, signal) in _REFINEMENT_NOTES:
                    notes.append(_REFINEMENT_NOTES[(named, signal)])
                break
    _check_features(kind, reading, features)
    return kind, noun, notes


def _for_screws(reading: Reading):
    """(standard part, noun) for "a washer for an M5 bolt", "an M3 spacer 6 mm long": a general
    word and a screw size, and none of the part's own sizes that would make it a plain tube."""
    if not any(s.measure.unit == "M" for s in reading.sizes):
        return None
    for n in reading.nouns:
        made = FOR_SCREWS.get(n.noun)
        if made == "washer" and any(s.measure.unit != "M" for s in reading.sizes):
            continue  # "an M8 washer, 17 mm OD, 1.6 mm thick": a tube of those sizes
        if made is not None:
            return made, n.noun
    return None


_FASTENERS = ("cap_screw", "hex_bolt", "hex_nut", "washer", "threaded_rod")


# Shape words that also name a part: with another noun they say its shape ("a hexagonal standoff").
_SHAPE_WORDS = {"hexagonal": "hex_prism", "hex": "hex_prism", "hexagon": "hex_prism", "triangular": "triangle",
                "triangle": "triangle"}
_FLAT = ("box", "cylinder", "triangular_plate")  # plates, tiles, coasters: a triangle of these lies flat


def _shaped(reading: Reading):
    """(kind, noun) when one noun is a shape word and the other the thing: hexagonal + standoff is a
    hexagonal prism, triangular + plate a triangle lying flat. None otherwise."""
    shapes = [n for n in reading.nouns if n.noun in _SHAPE_WORDS]
    bodies = [n for n in reading.nouns if n.noun not in _SHAPE_WORDS]
    if not shapes or len({n.kind for n in bodies}) != 1:
        return None
    body = bodies[0]
    shape = _SHAPE_WORDS[shapes[0].noun]
    if shape == "triangle":
        return ("triangular_plate" if body.kind in _FLAT else "triangular_prism"), body.noun
    return shape, body.noun


def _features(reading: Reading) -> set:
    roles = reading.roles
    features = set()
    if {"hole", "bore", "hole_count"} & roles:
        features.add("hole")
    if "wall" in roles:
        features.add("wall")
    if "teeth" in roles or "teeth" in reading.counts:
        features.add("teeth")
    return features


def _check_features(kind: str, reading: Reading, features: set) -> None:
    for feature in features - ({"wall"} if kind in HOLLOWED else set()):
        if kind not in _FEATURE_KINDS[feature]:
            owners = ", ".join(label(k) for k in _FEATURE_KINDS[feature])
            raise AgentError(
                STAGE, f"I cannot make {a_label(kind)} with {_FEATURE_NAMES[feature]}; these can have them: {owners}"
            )
    flags = reading.flags
    if "male" in flags:
        raise AgentError(STAGE, "a male stud is not made yet" + ("; standoffs are female at both ends (a tapped hole through)"
                                                                 if kind == "standoff" else ""),
                         hint="a threaded rod makes a stud: 'an M3 threaded rod 10 mm long'")
    if "female" in flags and kind != "standoff":
        raise AgentError(STAGE, f"I understood 'female' but {a_label(kind)} has no female thread; a standoff has")
    if "lid" in flags and kind not in ("box_with_lid", "enclosure"):
        raise AgentError(STAGE, f"I can make a box with a lid, but not {a_label(kind)} with one")
    if "open" in flags and kind not in OPEN_TEMPLATES:
        raise AgentError(STAGE, f"I cannot make an open-top {label(kind)}; an open box, a tray or a cup can be open")
    if "hollow" in flags and kind not in ("tube", "cup", "open_box", "box_with_lid") + HOLLOWED:
        raise AgentError(STAGE, f"I cannot make a hollow {label(kind)} offline")
    if reading.all_counts().get("hole_count", 1) > 1 and kind != "plate_with_holes":
        raise AgentError(STAGE, f"{a_label(kind)} has one centre hole, not {reading.counts['hole_count']}")


def place_sizes(kind: str, noun: str, reading: Reading) -> tuple[dict, list[str]]:
    """Put every stated size and count into a parameter of ``kind``. Returns (params, notes)."""
    values, notes = placed_values(kind, noun, reading)
    counts = {name: n for name, n in reading.all_counts().items() if name in _param_names(kind)}
    # Rounded so that 3/4 inch is 19.05 mm, not 19.049999999999997.
    return {**{p: round(v, 6) for p, (v, _) in values.items()}, **counts}, notes


def placed_values(kind: str, noun: str, reading: Reading, fill: bool = True) -> tuple[Values, list[str]]:
    """Parameter -> (value, words that stated it). ``fill=False`` places only the sizes that say
    what they measure, not those filled in by position (grounding uses that)."""
    values: Values = {}
    labelled = [s for s in reading.sizes if s.role]
    targets = {id(s): _targets(kind, noun, s) for s in labelled}
    for s in sorted(labelled, key=lambda s: len(targets[id(s)])):  # the least ambiguous words first
        _place(kind, values, s, targets[id(s)])
    notes: list[str] = []
    if fill:
        screws = [s for s in reading.sizes if not s.role and s.measure.unit == "M" and targets_for(kind, noun, "hole")]
        bare = [s for s in reading.sizes if not s.role and s not in screws]
        order = ORDER_BY_COUNT.get(kind, {}).get(len(bare), ORDER[kind])
        for s in screws:
            _screw_size(kind, noun, values, s, notes)
        for s in bare:
            _fill(kind, values, s, order)
        if "square" in reading.flags and kind in _BOXES:
            for a, b in (("length", "width"), ("width", "length")):
                if a in values and b not in values:
                    values[b] = (values[a][0], "square")
    return values, notes + _derive(kind, values, reading)


def _screw_size(kind: str, noun: str, values: Values, s: Sized, notes: list[str]) -> None:
    """ "an M8 washer": the hole is 8 mm unless the request states the hole itself."""
    param, _ = targets_for(kind, noun, "hole")[0]
    if param in values:
        notes.append(f"'{s.said}' names the screw; the {values[param][0]:g} mm stated for the hole is used")
    else:
        values[param] = (s.measure.value, s.said)
        notes.append(f"'{s.said}' read as a hole of {s.measure.value:g} mm")


def _param_names(kind: str) -> set:
    return {p.name for p in KINDS[kind].params}


def _targets(kind: str, noun: str, s: Sized):
    found = targets_for(kind, noun, s.role)
    if not found:
        raise AgentError(STAGE, f"I understood {a_label(kind)} but not what '{s.said}' is for")
    angle = s.role == "pressure_angle"
    if (s.measure.unit == "deg") != angle and s.measure.unit != "":
        what = "an angle" if s.measure.unit == "deg" else "a length"
        raise AgentError(STAGE, f"'{s.said}' is {what}, which does not fit {a_label(kind)} here")
    return found


def _place(kind: str, values: Values, s: Sized, targets) -> None:
    for param, factor in targets:
        if param not in values:
            values[param] = (s.measure.value * factor, s.said)
            return
    for param, factor in targets:
        if _close(values[param][0], s.measure.value * factor):
            return  # the same size said twice
    param, factor = targets[0]
    _conflict(kind, param, values[param], (s.measure.value * factor, s.said))


def _fill(kind: str, values: Values, s: Sized, order: tuple[str, ...]) -> None:
    if s.measure.unit == "deg":
        raise AgentError(STAGE, f"I understood {a_label(kind)} but not what the angle '{s.said}' is for")
    free = [p for p in order if p not in values]
    if free:
        values[free[0]] = (s.measure.value, s.said)
    elif len(order) == 1:  # "a 20 x 20 x 20 mm cube"
        if not _close(values[order[0]][0], s.measure.value):
            _conflict(kind, order[0], values[order[0]], (s.measure.value, s.said))
    else:
        raise AgentError(
            STAGE,
            f"I understood {a_label(kind)} but not what '{s.said}' is for",
            hint="say what each size measures, e.g. '20 mm tall', 'diameter 30 mm'",
        )


def _conflict(kind: str, param: str, first: tuple[float, str], second: tuple[float, str]) -> None:
    description = KINDS[kind].param(param).description if not param.startswith("_") else param[1:]
    raise AgentError(
        STAGE,
        f"the request gives the {label(kind)} two different {description}s: "
        f"{first[0]:g} mm ('{first[1]}') and {second[0]:g} mm ('{second[1]}')",
    )


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9)


def _derive(kind: str, values: Values, reading: Reading) -> list[str]:
    """Sizes stated through others: a tube's wall, a gear's module."""
    notes = []
    if "_wall" in values:
        wall, said = values.pop("_wall")
        outer, inner = values.get("outer_diameter"), values.get("inner_diameter")
        if outer and inner:
            if not _close(outer[0] - inner[0], 2 * wall):
                raise AgentError(
                    STAGE, f"a {wall:g} mm wall ('{said}') does not match the diameters {outer[0]:g} and {inner[0]:g} mm"
                )
        elif inner:
            values["outer_diameter"] = (inner[0] + 2 * wall, f"{inner[1]}' + 2 x '{said}")
            notes.append(f"outer diameter {inner[0] + 2 * wall:g} mm = inner diameter {inner[0]:g} mm + 2 x {wall:g} mm wall")
        elif outer:
            values["inner_diameter"] = (outer[0] - 2 * wall, f"{outer[1]}' - 2 x '{said}")
            notes.append(f"inner diameter {outer[0] - 2 * wall:g} mm = outer diameter {outer[0]:g} mm - 2 x {wall:g} mm wall")
        else:
            raise AgentError(STAGE, f"I understood {a_label(kind)} with a {wall:g} mm wall but not its inner or outer diameter")
    if "_module" in values:
        module, said = values.pop("_module")
        teeth: int | None = reading.counts.get("teeth")
        if teeth is None:
            raise AgentError(STAGE, f"a gear of {said} needs its number of teeth")
        outer = module * (teeth + 2)
        if "outer_diameter" in values and not _close(values["outer_diameter"][0], outer):
            _conflict(kind, "outer_diameter", values["outer_diameter"], (outer, said))
        values["outer_diameter"] = (outer, said)
        notes.append(f"outer diameter {outer:g} mm = module {module:g} x ({teeth} teeth + 2)")
    return notes
