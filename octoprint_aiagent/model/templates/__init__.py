"""Templates: named parts with a maker's parameters ("a tube", "an M8 nut", "an L bracket") that
expand into part documents of sketches, solids and features. The expansion is plain data, so a
template is one entry here; the builder only ever sees what it expands to, re-anchored to stand
on z=0 centred on the Z axis.
"""

from __future__ import annotations

from ..nodes import NodeType
from .basic import BASIC
from .brackets import BRACKETS
from .enclosures import ENCLOSURES
from .fasteners import FASTENERS
from .household import HOUSEHOLD

TEMPLATES: dict[str, NodeType] = {**BASIC, **BRACKETS, **FASTENERS, **HOUSEHOLD, **ENCLOSURES}
OPEN_TEMPLATES = frozenset(name for name, t in TEMPLATES.items() if t.open_top)
