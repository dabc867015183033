"""The word list of the part language: one ``NodeType`` per sketch, solid, feature, pattern and
template, each a name, a sentence and its parameters. The tables live in ``sketches``,
``solids``, ``features``, ``patterns`` and ``templates``; this module only says what an entry is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

from .params import Param

Check = Callable[[dict], Optional[str]]  # params -> what is wrong, in a sentence, or None


@dataclass(frozen=True)
class NodeType:
    name: str
    description: str
    params: tuple[Param, ...] = ()
    check: Optional[Check] = None  # a rule across parameters ("the hole must be smaller than the tube")
    one_of: tuple[tuple[str, ...], ...] = ()  # groups of parameters of which exactly one is given
    shape: str = ""  # what kind of thing it is, for holding an LLM to the request: "block", "round", ...
    expand: Optional[Callable[[dict], dict]] = None  # templates: parameters -> a document node
    group: str = ""  # features: "modify" (the base), "add" or "cut"; see features.py
    open_top: bool = False  # templates: made open (a tray, a cup, a tube), so "an open ..." can be one

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)

    @property
    def param_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.params)


def table(*types: NodeType) -> dict[str, NodeType]:
    return {t.name: t for t in types}
