"""Writing the part document from what the clauses said: one writer per feature, and where
each goes (its face, its position, its pattern), with every number recorded as a ``Role``."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from ..model.errors import AgentError
from ..model.spec import KINDS, Assumption, Role
from .feature_words import TEXT_MARK
from .features import DESCRIBE, SIDES, Read, has, place_of, style_of
from .objects import a_label, label, placed_values, resolve_kind
from .reading import STAGE, Reading

AXIAL = ("cylinder", "tube", "hex_prism", "cone", "cup", "gear")  # parts whose length runs along Z
LEGIBLE_LETTERS_MM = 3.0  # smaller letters blur into one blob from a 0.4 mm nozzle


@dataclass
class Draft:
    """The document being written, and the record of every number placed in it."""

    kind: str = ""
    params: dict = field(default_factory=dict)
    features: list = field(default_factory=list)
    roles: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    overall: bool = False  # the object's length is stated "in all": features at an end are inside it
    assumed: list = field(default_factory=list)  # sizes the request left out, worked out here

    def role(self, said: str, value: float, path: str, role: str) -> None:
        self.roles.append(Role(said, float(value), path, role))

    @property
    def where(self) -> str:
        return f"features[{len(self.features)}]"


def record(draft: Draft, read: Read, kind: str, names: tuple = ()) -> dict:
    """The feature's own sizes (not its placement), each recorded with its role."""
    params = {}
    for name, (value, said) in read.values.items():
        if name.startswith("@") or (names and name not in names):
            continue
        params[name] = value
        draft.role(said, value, f"{draft.where}.{kind}.{name}", f"{kind} {DESCRIBE.get(name, name)}")
    return params


def placement(draft: Draft, read: Read, default_face: str = "top") -> dict:
    """on / from_edge / pattern of a feature, from its place words and place sizes."""
    out: dict = {}
    face = place_of(read, default_face)
    if has(read, "end"):
        face = "bottom" if draft.kind in AXIAL else "left"
    if face != "top":
        out["on"] = face
    values, n, where = read.values, read.count, draft.where
    stated = n > 1
    if read.plural and n == 1:  # "3 mm holes 5 mm from each side": one at each corner; otherwise, how many?
        if "@inset" in values or "@edge" in values or has(read, "corners"):
            n = 4
        elif not (has(read, "pattern", "grid") or read.grid):
            raise AgentError(STAGE, f"I understood {read.kind}s but not how many",
                             hint=f"e.g. 'four {read.kind}s', or where they go: '6 mm in from each corner'")
    if "@circle" in values or has(read, "pattern", "circle"):
        if "@circle" not in values:
            raise AgentError(STAGE, f"I understood {n} {read.kind}s around a circle but not the circle's diameter",
                             hint="e.g. 'on a 30 mm circle'")
        if n < 2:
            raise AgentError(STAGE, f"how many {read.kind}s go on the circle?", hint="e.g. 'six 5 mm holes on a 30 mm circle'")
        value, said = values["@circle"]
        out["pattern"] = {"circle": {"count": n, "diameter": value}}
        draft.role(said, value, f"{where}.pattern.circle.diameter", "diameter of the circle they are on")
    elif "@inset" in values or has(read, "corners") or ("@edge" in values and n == 4):
        if n not in (1, 4):
            raise AgentError(STAGE, f"{n} {read.kind}s cannot go one at each corner: a face has 4 corners")
        inset = values.get("@inset") or values.get("@edge")
        corners: dict = {}
        if inset:
            corners["inset"] = inset[0]
            draft.role(inset[1], inset[0], f"{where}.pattern.corners.inset", "from the sides to each centre")
        out["pattern"] = {"corners": corners}
    elif any(f"@{side}" in values for side in SIDES):  # "10 mm from the left edge and 15 mm from the front"
        out["from_edge"] = {}
        for side in (s for s in SIDES if f"@{s}" in values):
            value, said = values[f"@{side}"]
            out["from_edge"][side] = value
            draft.role(said, value, f"{where}.from_edge.{side}", f"from the {side} side to its centre")
    elif "@edge" in values:
        value, said = values["@edge"]
        out["from_edge"] = {"left": value}
        draft.role(said, value, f"{where}.from_edge.left", "from the left side to its centre")
        draft.notes.append(f"'{said}': the request does not say which edge; measured from the left")
    elif has(read, "pattern", "grid"):
        columns, rows = read.grid or _squarest(n, read.kind)
        out["pattern"] = {"grid": {"columns": columns, "rows": rows}}
        if read.grid:
            draft.role(f"{columns} by {rows}", columns, f"{where}.pattern.grid.columns", "columns of the grid")
            draft.role(f"{columns} by {rows}", rows, f"{where}.pattern.grid.rows", "rows of the grid")
    elif n > 1:
        if has(read, "pattern", "row") or "@spacing" in values:
            row: dict = {"count": n}
            if "@spacing" in values:
                row["spacing"] = values["@spacing"][0]
                draft.role(values["@spacing"][1], values["@spacing"][0], f"{where}.pattern.row.spacing", "centre to centre")
            out["pattern"] = {"row": row}
        else:
            out["pattern"] = {"spread": {"count": n}}
    if stated and "pattern" in out:  # the count is a number of the request too
        (shape, params), = out["pattern"].items()
        draft.role(f"{n} {read.kind}s", n, f"{where}.pattern.{shape}" + (".count" if "count" in params else ""), f"how many {read.kind}s")
    if "@spacing" in values and "row" not in out.get("pattern", {}):
        raise AgentError(STAGE, f"'{values['@spacing'][1]}': a spacing fits {read.kind}s in a row, not this arrangement")
    return out


def _squarest(n: int, what: str) -> tuple[int, int]:
    if n < 2:
        raise AgentError(STAGE, f"I understood a grid of {what}s but not how many", hint="e.g. 'a 4 by 3 grid'")
    rows = max(c for c in range(1, int(n**0.5) + 1) if n % c == 0)
    return n // rows, rows


def _need(read: Read, *names: str) -> None:
    for name in names:
        if name not in read.values:
            raise AgentError(STAGE, f"I understood a {read.kind} but not its {DESCRIBE.get(name, name)}",
                             hint=f"add it, e.g. 'a {read.kind} 5 mm {'deep' if name == 'depth' else 'wide'}'")


# -- one writer per feature --------------------------------------------------------------------


def hole(draft: Draft, read: Read, texts: list) -> dict:
    if read.shape in ("square", "rect"):  # "a 20 mm square hole": a pocket through the part
        return pocket(draft, replace(read, kind="pocket", values={("size" if k == "diameter" else k): v for k, v in read.values.items()}), texts)
    threaded = has(read, "thread")
    if read.screw:
        params = {"thread" if threaded else "screw": read.screw}
        draft.role(read.screw, float(read.screw[1:].split("X")[0].split("×")[0]), f"{draft.where}.hole.{'thread' if threaded else 'screw'}",
                   "the thread of the hole" if threaded else "the screw the hole is for")
        if "diameter" in read.values:
            raise AgentError(STAGE, f"the hole is for an {read.screw}; its {read.values['diameter'][1]} is left to the standard",
                             hint=f"say either the screw ({read.screw}) or the hole's diameter")
    else:
        if threaded:
            raise AgentError(STAGE, "a threaded hole needs its thread size, e.g. 'an M8 tapped hole'")
        _need(read, "diameter")
        params = {}
    params.update(record(draft, read, "hole", ("diameter", "depth")))
    for flag in ("counterbore", "countersink", "nut_trap", "insert"):
        if has(read, flag):
            if not read.screw:
                raise AgentError(STAGE, f"a {flag.replace('_', ' ')} needs the screw size, e.g. 'for M3 screws'")
            params[flag] = True
    for place in read.places:
        if place[0] == "fit":
            params["fit"] = place[1]
    return {"hole": params, **placement(draft, read)}


def pocket(draft: Draft, read: Read, texts: list) -> dict:
    values = read.values
    depth = record(draft, read, "pocket", ("depth",))
    where = f"{draft.where}.pocket.sketch"
    if "diameter" in values or (read.shape == "round"):
        size = values.get("diameter") or values.get("size")
        if size is None:
            raise AgentError(STAGE, "I understood a round pocket but not its diameter")
        sketch = {"circle": {"diameter": size[0]}}
        draft.role(size[1], size[0], f"{where}.circle.diameter", "pocket diameter")
    else:
        length = values.get("length") or values.get("size")
        width = values.get("width") or values.get("size") if read.shape == "square" or "width" in values else None
        if length is None:
            raise AgentError(STAGE, f"I understood a {read.kind} but not its size", hint="e.g. 'a 20 x 10 mm pocket 3 mm deep'")
        if width is None:
            if read.shape != "rect":
                sketch = {"circle": {"diameter": length[0]}}
                draft.role(length[1], length[0], f"{where}.circle.diameter", "pocket diameter")
                draft.notes.append(f"'{length[1]}' {read.kind}: no shape said; made round")
                return {"pocket": {"sketch": sketch, **depth}, **placement(draft, read)}
            width = length
        sketch = {"rect": {"length": length[0], "width": width[0]}}
        draft.role(length[1], length[0], f"{where}.rect.length", "pocket length")
        if width is not length:
            draft.role(width[1], width[0], f"{where}.rect.width", "pocket width")
    return {"pocket": {"sketch": sketch, **depth}, **placement(draft, read)}


def slot(draft: Draft, read: Read, texts: list) -> dict:
    if "length" not in read.values and (has(read, "along") or not read.values.get("length")):
        return groove(draft, replace(read, kind="groove"), texts)
    _need(read, "length", "width")
    return {"slot": record(draft, read, "slot", ("length", "width", "depth")), **placement(draft, read)}


def groove(draft: Draft, read: Read, texts: list) -> dict:
    _need(read, "width", "depth")
    params = record(draft, read, "groove", ("width", "depth", "length"))
    for place in read.places:
        if place[0] == "along":
            params["along"] = place[1]
    return {"groove": params, **{k: v for k, v in placement(draft, read).items() if k != "pattern"}}


def rib(draft: Draft, read: Read, texts: list) -> dict:
    _need(read, "thickness", "height")
    params = record(draft, read, "rib", ("thickness", "height", "length"))
    for place in read.places:
        if place[0] == "along":
            params["along"] = place[1]
    return {"rib": params, **{k: v for k, v in placement(draft, read).items() if k == "on"}}


def boss(draft: Draft, read: Read, texts: list) -> dict:
    _need(read, "diameter", "height")
    d, h = read.values["diameter"], read.values["height"]
    where = f"{draft.where}.boss"
    draft.role(d[1], d[0], f"{where}.sketch.circle.diameter", "boss diameter")
    draft.role(h[1], h[0], f"{where}.height", "boss height")
    return {"boss": {"sketch": {"circle": {"diameter": d[0]}}, "height": h[0]}, **placement(draft, read)}


RIM_HEIGHT_MM = 2.0  # "with a 2 mm rim": a coaster's or a tray's lip, enough to stop a spill or a roll


def rim(draft: Draft, read: Read, texts: list) -> dict:
    _need(read, "width")
    params = record(draft, read, "rim", ("width", "height"))
    if "height" not in params:
        params["height"] = RIM_HEIGHT_MM
        draft.assumed.append(Assumption(f"{draft.where}.rim.height", f"{RIM_HEIGHT_MM:g} mm", "a rim's height, not stated"))
    return {"rim": params, **{k: v for k, v in placement(draft, read).items() if k == "on"}}


def flange(draft: Draft, read: Read, texts: list) -> dict:
    """A disc at one end (or where it is said to be). Stated "in all", the part's length includes it."""
    _need(read, "diameter", "thickness")
    (d, d_said), (t, t_said) = read.values["diameter"], read.values["thickness"]
    where = f"{draft.where}.add.solid.cylinder"
    draft.role(d_said, d, f"{where}.diameter", "flange diameter")
    draft.role(t_said, t, f"{where}.height", "flange thickness")
    node = {"add": {"solid": {"cylinder": {"diameter": d, "height": t}}}, **placement(draft, read, default_face="bottom")}
    axis = "height" if draft.kind in AXIAL else "length"
    if draft.overall and axis in draft.params:
        total = draft.params[axis]
        if t >= total:
            raise AgentError(STAGE, f"a flange {t:g} mm thick does not fit a part {total:g} mm long in all")
        draft.params[axis] = round(total - t, 6)
        draft.notes.append(f"{label(draft.kind)} {axis} {total - t:g} mm = {total:g} mm in all - {t:g} mm flange")
    return node


def fillet(draft: Draft, read: Read, texts: list) -> dict:
    _need(read, "radius")
    return {"fillet": {**record(draft, read, "fillet", ("radius",)), "edges": _edges(read, draft.kind)}}


def chamfer(draft: Draft, read: Read, texts: list) -> dict:
    _need(read, "size")
    return {"chamfer": {**record(draft, read, "chamfer", ("size",)), "edges": _edges(read, draft.kind)}}


def _edges(read: Read, kind: str) -> str:
    named = [p[1] for p in read.places if p[0] == "edges" and p[1] != "some"]
    if named:
        return named[0]
    # "the edge on the top", "on the top edge": the face says which edges
    faces = {p[1] for p in read.places if p[0] == "face"} & {"top", "bottom"}
    if len(faces) == 1:
        return faces.pop()
    named = read.edges_named or any(p[0] == "edges" for p in read.places)
    return "all" if named or kind == "cylinder" else "vertical"  # a cylinder's edges are its top and bottom rims


def shell(draft: Draft, read: Read, texts: list) -> dict:
    _need(read, "wall")
    params = record(draft, read, "shell", ("wall", "floor"))
    faces = [p[1] for p in read.places if p[0] == "face"]
    if ("closed",) in read.places and faces:
        raise AgentError(STAGE, f"a shell both closed and open on the {' and '.join(faces)}: which is it?")
    params["open"] = [] if ("closed",) in read.places else faces or ["top"]
    return {"shell": params}


def text(draft: Draft, read: Read, texts: list) -> dict:
    letters = [texts[ord(w[len(TEXT_MARK):]) - ord("a")] for w in read.words if w.startswith(TEXT_MARK)]
    if not letters:
        raise AgentError(STAGE, "I understood letters on the part but not what they say",
                         hint="put the text in quotes, e.g. engrave 'M3' on the top")
    style = style_of(read, "raised")
    height = read.values.get("height")
    if height and "relief" not in read.values and (any(w in height[1] for w in ("high", "deep", "thick", "proud"))
                                                   or height[0] < LEGIBLE_LETTERS_MM):
        # "raised letters 1 mm high", "in raised 1 mm letters": how far they stand out; how tall
        # they are is "10 mm tall" (letters under 3 mm tall are not legible from a 0.4 mm nozzle).
        read.values["relief"] = read.values.pop("height")
    params = {"text": " ".join(letters), "style": style, **record(draft, read, "text", ("height", "relief"))}
    return {"text": params, **{k: v for k, v in placement(draft, read).items() if k == "on"}}


def add_or_cut(draft: Draft, reading: Reading, joined_by: str) -> dict:
    """Another object in the request: added on a face ("a 20 mm cylinder on top of it") or taken
    out of the part ("a 10 mm cube cut out of one corner"). "A cube and a sphere", saying neither
    where nor how, is two parts, not one: refused."""
    kind, noun, _ = resolve_kind(reading)
    placed = any(p[0] in ("face", "stack", "below", "end", "cut", "one_corner", "span") for p in reading.places)
    if not placed and joined_by != "with":
        raise AgentError(STAGE, f"the request names {a_label(draft.kind)} and {a_label(kind)} but not how they go together",
                         hint=f"say where, e.g. 'with {a_label(kind)} on top of it', or describe one part at a time")
    values, _ = placed_values(kind, noun, reading)
    params = {name: round(v, 6) for name, (v, _) in values.items()}
    params.update({n: c for n, c in reading.all_counts().items() if n in KINDS[kind].param_names})
    cut = any(p in reading.places for p in (("cut",), ("cut_verb",), ("one_corner",)))
    if cut and kind == "cylinder" and "height" not in values and ("one_corner",) not in reading.places:
        # "a 30 mm cylinder cut out of the middle", no depth: a round hole through the part
        d, said = values["diameter"]
        draft.role(said, d, f"{draft.where}.hole.diameter", "hole diameter")
        draft.notes.append(f"the {d:g} mm cylinder cut out with no length given: a hole through the part")
        return {"hole": {"diameter": round(d, 6)}, **placement(draft, Read("hole", places=list(reading.places)))}
    action = "cut" if cut else "add"
    for name, (value, said) in values.items():
        draft.role(said, value, f"{draft.where}.{action}.solid.{kind}.{name}", f"{label(kind)} {KINDS[kind].param(name).description}")
    read = Read(kind, places=list(reading.places))
    node: dict = {action: {"solid": {kind: params}}}
    if ("below",) in reading.places:
        node["on"] = "bottom"
    elif any(p[0] == "face" for p in reading.places) or ("end",) in reading.places:
        node.update({k: v for k, v in placement(draft, read).items() if k == "on"})
    if ("one_corner",) in reading.places:
        node["flush"] = ["left", "front"]
    elif not cut and not any(p in reading.places for p in (("stack",), ("below",), ("end",))) and not any(p[0] == "face" for p in reading.places):
        draft.notes.append(f"the {label(kind)} goes on top (the request does not say where)")
    return node


WRITERS = {"hole": hole, "pocket": pocket, "slot": slot, "groove": groove, "rib": rib, "boss": boss, "rim": rim,
           "flange": flange, "fillet": fillet, "chamfer": chamfer, "shell": shell, "text": text}
