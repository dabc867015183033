"""The part language's definitions as plain data, for the tab: what each node type is and what
each of its parameters measures, in which unit, within which bounds.

The tab shows a job's part document as a tree ("a box; a hole on the front, diameter 10 mm") and
lets each number be changed in place. It reads these definitions rather than keeping its own
copy, so a node type added to a table shows with its words and units at once.
"""

from __future__ import annotations

from .document import SOLID_TYPES
from .features import FEATURE_PLACEMENT, FEATURES, PLACED_BY
from .nodes import NodeType
from .params import NUMBER_KINDS, Param
from .patterns import PATTERNS
from .sketches import SKETCH_PLACEMENT, SKETCHES
from .solids import SOLID_PLACEMENT


def param_entry(p: Param) -> dict:
    entry = {"kind": p.kind, "unit": p.unit, "role": p.role, "description": p.description}
    if p.kind in NUMBER_KINDS:
        entry.update(minimum=p.minimum, maximum=p.maximum)
    if p.choices:
        entry["choices"] = list(p.choices)
    return entry


def type_entry(t: NodeType) -> dict:
    entry = {"description": t.description, "params": {p.name: param_entry(p) for p in t.params}}
    if t.group:
        entry["group"] = t.group
    return entry


def glossary() -> dict:
    """``{"types": {family: {name: {description, params}}}, "placement": {family: {key: param}}}``;
    the families are the document's: solid (templates included), sketch, feature, pattern. A
    feature also says which placement keys it takes (``placed_by``: none for a fillet, which
    acts on the whole solid)."""
    families = {"solid": SOLID_TYPES, "sketch": SKETCHES, "feature": FEATURES, "pattern": PATTERNS}
    placements = {"solid": SOLID_PLACEMENT, "sketch": SKETCH_PLACEMENT, "feature": FEATURE_PLACEMENT}
    types = {family: {name: type_entry(t) for name, t in table.items()} for family, table in families.items()}
    for name, entry in types["feature"].items():
        entry["placed_by"] = list(PLACED_BY.get(name, FEATURE_PLACEMENT))
    return {
        "types": types,
        "placement": {family: {key: param_entry(p) for key, p in keys.items()} for family, keys in placements.items()},
    }
