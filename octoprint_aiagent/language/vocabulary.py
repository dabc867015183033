"""The words of a request: object nouns, size words, materials, features, and what each size word
means for each kind of object.

Everything the parser knows about English is in these tables; the parser itself only applies
them. A new synonym is one string here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Union

from .feature_words import FEATURE_NOUNS, FEATURE_VERBS, PLACE
from .feature_words import ROLE_WORDS as FEATURE_ROLE_WORDS
from .units import Piece, Token


@dataclass(frozen=True)
class Phrase:
    category: str  # kind, role, material, flag, qty, qty_noun, qty_label, filler, sep, times, verb,
    #                comparative, multiplier, setting, place (feature_words.PLACE)
    value: object
    text: str


@dataclass(frozen=True)
class Noun:
    kind: str
    noun: str
    plural: bool


@dataclass(frozen=True)
class RoleWord:
    role: str | None  # what a size next to it measures; None for "teeth" (a count only)
    count: str | None = None  # the count parameter a number before it sets ("four holes")
    plural: bool = False


def _plural(noun: str) -> str:
    if noun.endswith(("s", "x", "ch", "sh")):
        return noun + "es"
    if noun.endswith("y") and noun[-2:-1] not in "aeiou":
        return noun[:-1] + "ies"
    return noun + "s"


_KIND_NOUNS = {
    "cube": ["cube", "test cube", "cubic block", "cube block"],
    "calibration_cube": ["calibration cube", "xyz cube", "xyz calibration cube", "xyz test cube", "calibration test cube"],
    "box": ["box", "block", "brick", "cuboid", "plate", "bar", "slab", "tile", "panel", "beam", "sheet", "shim",
            "name tag", "tag", "label", "nameplate", "name plate", "sign", "plaque", "badge", "key tag", "keyring tag",
            "key fob", "fob", "dog tag", "door sign", "desk sign", "name sign", "bookmark",
            "rectangular prism", "rectangular block", "rectangle", "rectangular plate", "rectangular bar", "spacer block"],
    "cylinder": ["cylinder", "rod", "disc", "disk", "coaster", "puck", "dowel", "peg", "pin", "pillar", "post",
                 "column", "axle", "round bar", "button", "plug", "stopper", "wheel", "roller",
                 "round plate", "circular plate", "round tile", "medallion", "token", "coin"],
    "sphere": ["sphere", "ball", "orb", "marble", "globe"],
    "dome": ["dome", "hemisphere", "half sphere", "half a sphere", "half ball", "semi sphere", "semisphere"],
    "cone": ["cone", "truncated cone", "frustum", "conical frustum"],
    "pyramid": ["pyramid", "square pyramid", "square based pyramid", "square base pyramid"],
    "hex_prism": ["hexagonal prism", "hex prism", "hexagon", "hexagonal", "hex", "hex block", "hexagonal block",
                  "hex bar", "hexagonal bar", "hexagon prism"],
    "triangular_prism": ["triangular prism", "triangle prism", "triangular bar", "triangular block", "triangle",
                         "triangular", "toblerone", "wedge"],
    "triangular_plate": ["triangular plate", "triangle plate", "triangular tile", "triangular coaster", "triangular sign",
                         "triangular slab", "triangular sheet"],
    "tube": ["tube", "pipe", "spacer", "ring", "washer", "bushing", "sleeve", "collar", "hollow cylinder",
             "hollow rod", "band", "o ring", "grommet", "standoff", "napkin ring"],
    "open_box": ["tray", "open box", "open top box", "open topped box", "bin", "storage bin", "storage box",
                 "organizer", "organiser", "container", "drawer"],
    "cup": ["cup", "mug", "beaker", "tumbler", "pen holder", "pencil holder", "pen cup", "pencil cup", "planter", "pot"],
    "gear": ["gear", "spur gear", "cog", "gearwheel", "gear wheel", "cogwheel", "cog wheel", "pinion"],
    "plate_with_holes": ["plate with holes", "perforated plate"],
    "box_with_lid": ["box with lid", "box with a lid", "lidded box", "box and lid", "box with cover", "box with a cover"],
    "l_bracket": ["l bracket", "l shaped bracket", "angle bracket", "right angle bracket", "l brace", "angle piece",
                  "l profile", "angle profile", "corner bracket", "corner brace", "shelf bracket", "90 degree bracket"],
    "hex_nut": ["nut", "hex nut", "hexagon nut", "hexagonal nut", "thin nut", "jam nut", "lock nut", "locknut", "jamnut"],
    "hex_bolt": ["bolt", "hex bolt", "hex head bolt", "hexagon bolt", "hex screw", "hex head screw", "hexagon head bolt",
                 "hexagon head screw"],
    "cap_screw": ["screw", "cap screw", "socket head cap screw", "socket cap screw", "socket head screw", "allen bolt",
                  "allen screw", "machine screw", "socket screw", "shcs"],
    "threaded_rod": ["threaded rod", "threaded bar", "studding", "stud", "all thread", "allthread", "threaded stud"],
    "t_bracket": ["t bracket", "t shaped bracket", "tee bracket", "t profile", "t piece bracket"],
    "mending_plate": ["mending plate", "flat mending plate", "mending bracket", "straight bracket", "joining plate",
                      "repair plate", "flat bracket", "straight mending plate", "splice plate"],
    "wall_hook": ["hook", "wall hook", "coat hook", "towel hook", "key hook", "hat hook", "robe hook", "bag hook",
                  "utility hook", "j hook"],
    "door_hook": ["door hook", "over the door hook", "over door hook", "overdoor hook", "door hanger"],
    "rail_hook": ["rail hook", "pipe hook", "bar hook", "hook for a rail", "hook for a pipe", "hook for a bar", "rod hook",
                  "clip on hook", "snap on hook"],
    "cable_clip": ["cable clip", "cable holder", "wire clip", "cable clamp", "cable tie mount", "cord clip", "wire holder",
                   "cable organizer", "cable organiser", "cable guide", "cord holder", "cable mount", "wire clamp"],
    "knob": ["knob", "round knob", "control knob", "pot knob", "potentiometer knob", "volume knob", "dial knob", "handle knob"],
    "phone_stand": ["phone stand", "phone holder", "tablet stand", "ipad stand", "phone dock", "mobile stand", "phone rest",
                    "tablet holder", "cell phone stand", "smartphone stand"],
    "enclosure": ["enclosure", "case", "project box", "electronics box", "housing", "electronics enclosure",
                  "project enclosure", "electronics case"],
}

_ROLE_WORDS = {
    "diameter": ["diameter", "dia", "diam", "ø", "⌀", "in diameter", "wide across"],
    "radius": ["radius", "in radius"],
    "outer_diameter": ["outer diameter", "outside diameter", "external diameter", "exterior diameter", "od", "outer",
                       "outside", "outer dia", "outside dia", "tip diameter"],
    "outer_radius": ["outer radius", "outside radius"],
    "inner_diameter": ["inner diameter", "inside diameter", "internal diameter", "interior diameter", "id", "inner",
                       "inside", "inner dia", "inside dia", "opening"],
    "inner_radius": ["inner radius", "inside radius"],
    "bore": ["bore", "bore diameter", "center hole", "centre hole", "central hole", "shaft hole", "axle hole",
             "hole in the middle", "hole in the center", "hole in the centre", "hole through the middle"],
    "leg": ["leg", "legs", "arm", "arms", "both legs", "each leg", "both arms", "each arm", "leg length"],
    "shaft": ["shaft", "round shaft", "shaft diameter", "spindle", "motor shaft", "pot shaft", "potentiometer shaft"],
    "d_shaft": ["d shaft", "d shaped shaft", "d shafts", "d profile shaft", "flatted shaft", "shaft with a flat"],
    "hex_shaft": ["hex shaft", "hexagonal shaft", "hex drive", "hex key shaft"],
    "angle": ["angle", "tilt", "lean", "inclination", "slope", "at an angle of"],
    "rail": ["rail", "towel rail", "curtain rail", "pole", "railing", "handrail", "rail diameter", "clothes rail"],
    "cable": ["cable", "cables", "wire", "wires", "cord", "cords", "lead", "leads", "usb cable", "power cable"],
    "device": ["phone", "tablet", "ipad", "device", "mobile", "smartphone", "cell phone", "phone with its case",
               "phone in its case"],
    "door": ["door", "door thickness"],
    "wall": ["wall", "walls", "wall thickness", "walls thickness", "thick wall", "thick walls", "side wall",
             "side walls", "sidewall", "sidewalls", "shell", "shell thickness", "thick sides"],
    "floor": ["floor", "floor thickness", "bottom", "bottom thickness", "thick floor", "thick bottom", "base thickness"],
    "height": ["height", "tall", "high", "in height"],
    "thick": ["thick", "thickness", "in thickness"],
    "deep": ["deep", "depth"],
    "long": ["long", "length", "in length"],
    "wide": ["wide", "width", "in width", "broad"],
    "across": ["across"],
    "across_flats": ["across flats", "across the flats", "across flat", "flat to flat", "af", "between flats"],
    "across_corners": ["across corners", "across the corners", "corner to corner", "point to point", "across points"],
    "side": ["side", "sides", "edge", "edges", "side length", "edge length", "on a side", "on each side",
             "per side", "each side", "a side", "on every side", "on all sides"],
    "size": ["size", "in size"],
    "base": ["base", "square base", "base side", "base width", "base length", "base edge", "side of the base", "base size"],
    "base_diameter": ["base diameter", "bottom diameter", "diameter at the base", "diameter at the bottom", "base dia",
                      "at the base", "at the bottom"],
    "base_radius": ["base radius", "bottom radius"],
    "top_diameter": ["top diameter", "top", "at the top", "diameter at the top", "top dia", "tip"],
    "top_radius": ["top radius"],
    "clearance": ["clearance", "gap", "tolerance", "fit clearance", "play"],
    "face_width": ["face width", "face"],
    "module": ["module", "mod"],
    "pressure_angle": ["pressure angle"],
    "setting": ["layer height", "layer", "layers", "infill", "nozzle", "perimeter", "perimeters", "line width",
                "extrusion width", "brim", "first layer", "temperature", "temp", "bed temperature"],
}
_HOLE_WORDS = ["hole", "mounting hole", "screw hole", "bolt hole", "through hole", "fixing hole"]
_TEETH_WORDS = ["tooth", "teeth", "tooth count", "teeth count", "number of teeth"]

_FLAGS = {
    "open": ["open top", "open topped", "open", "topless", "no lid", "without a lid", "without lid", "no top",
             "without a top", "without top", "lidless", "no cover", "without a cover", "open at the top"],
    "lid": ["lid", "lids", "with lid", "with a lid", "with lids", "lidded", "cover", "covers", "with a cover",
            "and lid", "and a lid"],
    "square": ["square", "squared", "square shaped"],
    "male": ["male", "male female", "male to female", "male-female", "with a stud", "with a threaded stud", "stud"],
    "female": ["female", "female female", "female to female", "female-female"],
    "rectangular": ["rectangular", "oblong", "rectangle shaped", "with a rectangular section", "flat sided"],
    "round": ["round", "circular", "cylindrical"],
    "hollow": ["hollow"],
    "thin": ["thin", "jam", "low profile", "half height"],
    "large": ["large", "big", "oversized", "fender", "penny", "wide washer"],
    "shank": ["partly threaded", "partially threaded", "half threaded", "with a shank", "with a plain shank", "plain shank",
              "shank", "part threaded"],
    "gusset": ["gusset", "gusseted", "with a gusset", "reinforced", "braced", "with a brace", "reinforcing rib",
               "with a gusset in the corner", "strengthened"],
    "adhesive": ["adhesive", "stick on", "self adhesive", "sticky", "glue on", "glued", "to stick", "double sided tape",
                 "with tape", "taped"],
    "knurled": ["knurled", "knurling", "grippy", "ridged", "fluted", "with grip", "with a grip"],
    "screw_lid": ["screw lid", "screwed lid", "screw on lid", "screwed on lid", "bolted lid", "lid screwed on",
                  "lid held by screws", "lid with screws"],
}

MATERIAL_WORDS = {"pla": "PLA", "pla plus": "PLA", "petg": "PETG", "pet g": "PETG", "abs": "ABS", "asa": "ASA",
                  "tpu": "TPU", "nylon": "NYLON"}

_SIMPLE = {
    "filler": ["a", "an", "the", "of", "in", "is", "are", "be", "about", "approx", "approximately", "roughly",
               "around", "exactly", "at", "to", "that", "which", "it", "its", "measuring", "measures",
               "nominal", "solid", "each", ":", "=", "~"],
    "sep": [",", ";", ".", "!", "?", "(", ")", "[", "]", "/", "&", "+", "and", "with", "plus", "but", "then",
            "also", "please", "for"],
    "times": ["x", "by", "*"],
    "verb": ["make", "print", "create", "need", "want", "build", "produce", "design", "model", "generate", "give"],
    "qty_noun": ["copies", "copy", "pieces", "piece", "pcs", "pc", "units", "items", "off", "instances",
                 "of them", "of these", "of those", "of it", "of each"],
    "qty_label": ["quantity", "qty"],
}
_QTY = {"a pair of": 2, "pair of": 2, "a couple of": 2, "a dozen": 12, "dozen": 12, "a single": 1}
_COMPARATIVES = {
    "taller": ("height", 1), "higher": ("height", 1), "lower": ("height", -1), "shorter": ("short", -1),
    "wider": ("wide", 1), "broader": ("wide", 1), "narrower": ("wide", -1), "longer": ("long", 1),
    "thicker": ("thick", 1), "thinner": ("thick", -1), "deeper": ("deep", 1), "shallower": ("deep", -1),
    "bigger": ("size", 1), "larger": ("size", 1), "smaller": ("size", -1),
}
_MULTIPLIERS = {"double": 2.0, "twice": 2.0, "triple": 3.0, "treble": 3.0, "quadruple": 4.0, "halve": 0.5}


def _build_phrases() -> dict[tuple[str, ...], tuple[str, object]]:
    table: dict[tuple[str, ...], tuple[str, object]] = {}

    def add(phrase: str, category: str, value: object) -> None:
        table[tuple(phrase.split())] = (category, value)

    for category, words in _SIMPLE.items():
        for w in words:
            add(w, category, None)
    for phrase, n in _QTY.items():
        add(phrase, "qty", n)
    for word, comparative in _COMPARATIVES.items():
        add(word, "comparative", comparative)
    for word, factor in _MULTIPLIERS.items():
        add(word, "multiplier", factor)
    for phrase, material in MATERIAL_WORDS.items():
        add(phrase, "material", material)
    for flag, words in _FLAGS.items():
        for w in words:
            add(w, "flag", flag)
    for role, words in _ROLE_WORDS.items():
        for w in words:
            add(w, "role", RoleWord(role))
    for w in _HOLE_WORDS:
        add(w, "role", RoleWord("hole", "hole_count", False))
        add(_plural(w), "role", RoleWord("hole", "hole_count", True))
    add("number of holes", "role", RoleWord(None, "hole_count", True))
    for w in _TEETH_WORDS:
        add(w, "role", RoleWord(None, "teeth", True))
    for w in ("cables", "wires", "cords", "leads"):  # "three 5 mm cables": a count of them, and their size
        add(w, "role", RoleWord("cable", "count", True))
    # Features: a noun counts ("two slots") and names the size next to it ("a 10 mm slot").
    for feature, nouns in FEATURE_NOUNS.items():
        for noun in nouns:
            add(noun, "role", RoleWord(feature, f"{feature}_count", False))
            if " " not in noun and not noun.endswith("ed"):
                add(_plural(noun), "role", RoleWord(feature, f"{feature}_count", True))
    for role, words in FEATURE_ROLE_WORDS.items():
        for w in words:
            add(w, "role", RoleWord(role))
    for value, words in PLACE.items():
        for w in words:
            add(w, "place", value)
    for verb, style in FEATURE_VERBS.items():
        add(verb, "place", ("engrave", style))
    for kind, nouns in _KIND_NOUNS.items():
        for noun in nouns:
            add(noun, "kind", Noun(kind, noun, False))
            if " with " not in noun and " and " not in noun and noun not in ("hexagonal", "triangular"):
                add(_plural(noun), "kind", Noun(kind, noun, True))
    return table


PHRASES = _build_phrases()
_LONGEST = max(len(k) for k in PHRASES)

Item = Union[Piece, Phrase]


def match_phrases(pieces: list[Piece]) -> list[Item]:
    """Replace runs of words by the longest known phrase; unknown words stay as tokens."""
    out: list[Item] = []
    i = 0
    while i < len(pieces):
        for n in range(min(_LONGEST, len(pieces) - i), 0, -1):
            run = pieces[i : i + n]
            if not all(isinstance(p, Token) and p.kind != "num" for p in run):
                continue
            found = PHRASES.get(tuple(p.text for p in run))
            if found:
                out.append(Phrase(found[0], found[1], " ".join(p.text for p in run)))
                i += n
                break
        else:
            out.append(pieces[i])
            i += 1
    return out


# What each size word sets, per kind: a list of (parameter, factor) tried in order, so that "thick"
# is a disc's height but a rod's diameter once "long" has taken the height. Parameters starting
# with "_" are worked out afterwards (a tube's wall, a gear's module).
_ROOT3 = math.sqrt(3.0)
Targets = tuple[tuple[str, float], ...]


def _t(*names: str) -> Targets:
    """ "diameter*2" means the value stated is half the parameter (a radius)."""
    return tuple((n[:-2], 2.0) if n.endswith("*2") else (n, 1.0) for n in names)


def _roles(**mapping: str) -> dict[str, Targets]:
    return {role: _t(*targets.split()) for role, targets in mapping.items()}


_BOX = dict(long="length width", wide="width length", height="height", thick="height", deep="height length width",
            side="length width")
_HOLLOW_BOX = dict(_BOX, thick="wall", wall="wall", floor="floor")
ROLE_TARGETS: dict[str, dict[str, Targets]] = {
    "cube": _roles(**{r: "size" for r in "size side height thick deep long wide across".split()}),
    "box": _roles(**_BOX),
    "cylinder": _roles(diameter="diameter", radius="diameter*2", wide="diameter", across="diameter", base="diameter",
                       base_diameter="diameter", height="height", deep="height", thick="height diameter", long="height"),
    "sphere": _roles(radius="diameter*2", **{r: "diameter" for r in "diameter size wide across height long thick".split()}),
    "dome": _roles(diameter="diameter", radius="diameter*2", wide="diameter", across="diameter", base_diameter="diameter",
                   height="diameter*2"),
    "cone": _roles(base_diameter="base_diameter", diameter="base_diameter", base="base_diameter", wide="base_diameter",
                   across="base_diameter", radius="base_diameter*2", base_radius="base_diameter*2",
                   top_diameter="top_diameter", top_radius="top_diameter*2", height="height", long="height"),
    "pyramid": _roles(base="base", side="base", wide="base", long="base", size="base", height="height"),
    "hex_prism": dict(_roles(across_flats="across_flats", wide="across_flats", across="across_flats",
                             size="across_flats", height="height", thick="height", long="height", deep="height"),
                      across_corners=(("across_flats", _ROOT3 / 2),), side=(("across_flats", _ROOT3),)),
    "triangular_prism": _roles(side="side", wide="side", size="side", long="length", height="length",
                               thick="length", deep="length"),
    "tube": _roles(outer_diameter="outer_diameter", diameter="outer_diameter", across="outer_diameter",
                   wide="outer_diameter", outer_radius="outer_diameter*2", radius="outer_diameter*2",
                   inner_diameter="inner_diameter", hole="inner_diameter", bore="inner_diameter",
                   inner_radius="inner_diameter*2", wall="_wall", height="height", long="height", deep="height",
                   thick="height _wall"),
    "open_box": _roles(**_HOLLOW_BOX),
    "cup": _roles(diameter="diameter", outer_diameter="diameter", wide="diameter", across="diameter", base="diameter",
                  radius="diameter*2", height="height", deep="height", wall="wall", thick="wall", floor="floor"),
    "gear": _roles(outer_diameter="outer_diameter", diameter="outer_diameter", wide="outer_diameter",
                   across="outer_diameter", radius="outer_diameter*2", outer_radius="outer_diameter*2",
                   thick="thickness", height="thickness", face_width="thickness", long="thickness", deep="thickness",
                   hole="bore", bore="bore", inner_diameter="bore", shaft="bore", module="_module",
                   pressure_angle="pressure_angle"),
    "plate_with_holes": _roles(long="length width", wide="width length", side="length width", thick="thickness",
                               height="thickness", deep="thickness", hole="hole_diameter"),
    "box_with_lid": _roles(clearance="clearance", **_HOLLOW_BOX),
    "triangular_plate": _roles(side="side", wide="side", size="side", long="side", thick="thickness", height="thickness",
                               deep="thickness"),
    "l_bracket": _roles(long="length length_2", leg="length length_2", side="length length_2", wide="width",
                        thick="thickness", height="length_2"),
    **{kind: _roles(long="length", height="length", thick="length", clearance="clearance")
       for kind in ("hex_bolt", "cap_screw", "threaded_rod")},
    "standoff": _roles(long="length", height="length", across_flats="across_flats", across="across_flats", wide="across_flats",
                       clearance="clearance"),
    "spacer": _roles(long="length", height="length", thick="length", outer_diameter="outer_diameter", diameter="outer_diameter",
                     across="outer_diameter", wide="outer_diameter", clearance="clearance"),
    "hex_nut": _roles(clearance="clearance"), "washer": {},
    "calibration_cube": _roles(**{r: "size" for r in "size side height thick deep long wide across".split()}),
    "t_bracket": _roles(long="length", wide="width", thick="thickness", height="height", side="length"),
    "mending_plate": _roles(long="length", wide="width", thick="thickness"),
    "wall_hook": _roles(height="height", deep="depth", long="depth", wide="width", thick="thickness", top_diameter="lip"),
    "door_hook": _roles(door="door_thickness", thick="door_thickness thickness", deep="depth", long="drop",
                        height="drop", wide="width"),
    "rail_hook": _roles(rail="rail_diameter", diameter="rail_diameter", across="rail_diameter", wide="width", thick="thickness", deep="depth"),
    "cable_clip": _roles(cable="cable_diameter", diameter="cable_diameter", wide="width", wall="wall", thick="wall"),
    "knob": _roles(diameter="diameter", across="diameter", wide="diameter", radius="diameter*2", height="height",
                   thick="height", shaft="shaft_diameter", d_shaft="shaft_diameter", hex_shaft="shaft_diameter",
                   hole="shaft_diameter", bore="shaft_diameter", deep="bore_depth"),
    "phone_stand": _roles(device="device_thickness", thick="device_thickness", wide="width", deep="depth", long="depth",
                          angle="angle"),
    "enclosure": _roles(**dict(_BOX, wall="wall")),
}

# Words that set a part's yes/no or choice: flag -> {kind: (parameter, value)}.
FLAG_PARAMS = {
    "thin": {"hex_nut": ("thin", True)}, "large": {"washer": ("large", True)},
    "shank": {"hex_bolt": ("partly_threaded", True)}, "round": {"standoff": ("shape", "round")},
    "gusset": {"l_bracket": ("gusset", True)}, "adhesive": {"cable_clip": ("mount", "adhesive")},
    "knurled": {"knob": ("grip", "knurled")}, "screw_lid": {"enclosure": ("lid", "screw")},
}
# Size words that also say a shape: role -> {kind: (parameter, value)}.
ROLE_PARAMS = {"d_shaft": {"knob": ("shaft", "d")}, "hex_shaft": {"knob": ("shaft", "hex")}}
# Parts named by a general word that become a standard part when the request gives a screw size
# and not the part's own sizes: "a washer for an M5 bolt" is an ISO 7089 washer.
FOR_SCREWS = {"washer": "washer", "spacer": "spacer", "bushing": "spacer", "sleeve": "spacer", "standoff": "standoff"}

# A ring's or a band's width is along its axis; a tube's is its diameter.
NOUN_TARGETS: dict[str, dict[str, Targets]] = {
    noun: _roles(wide="height", thick="height _wall") for noun in ("ring", "band", "o ring", "napkin ring")
}

# The order in which sizes given without a word ("a 60x40x20 tray") fill a kind's parameters.
ORDER: dict[str, tuple[str, ...]] = {
    "cube": ("size",), "box": ("length", "width", "height"), "cylinder": ("diameter", "height"),
    "sphere": ("diameter",), "dome": ("diameter",), "cone": ("base_diameter", "height"), "pyramid": ("base", "height"),
    "hex_prism": ("across_flats", "height"), "triangular_prism": ("side", "length"),
    "tube": ("outer_diameter", "inner_diameter", "height"), "open_box": ("length", "width", "height"),
    "cup": ("diameter", "height"), "gear": ("outer_diameter", "thickness"),
    "plate_with_holes": ("length", "width", "thickness"), "box_with_lid": ("length", "width", "height"),
    "triangular_plate": ("side", "thickness"), "l_bracket": ("length", "width", "thickness"),
    "hex_bolt": ("length",), "cap_screw": ("length",), "threaded_rod": ("length",), "standoff": ("length",),
    "t_bracket": ("length", "width", "thickness"), "mending_plate": ("length", "width", "thickness"),
    "wall_hook": ("height", "depth", "width"), "door_hook": ("door_thickness",), "rail_hook": ("rail_diameter",),
    "cable_clip": ("cable_diameter",), "knob": ("diameter", "height", "shaft_diameter"), "phone_stand": ("device_thickness",),
    "enclosure": ("length", "width", "height"), "calibration_cube": ("size",),
    "spacer": ("length", "outer_diameter"), "hex_nut": (), "washer": (),
}
# Kinds whose bare sizes read by how many there are: an angle bracket is sold as "50 x 50 x 30"
# (leg, leg, width) with its thickness said apart, while two sizes are its legs and width.
ORDER_BY_COUNT: dict[str, dict[int, tuple[str, ...]]] = {
    "l_bracket": {3: ("length", "length_2", "width")},
}


def targets_for(kind: str, noun: str, role: str) -> Targets | None:
    return NOUN_TARGETS.get(noun, {}).get(role) or ROLE_TARGETS.get(kind, {}).get(role)

