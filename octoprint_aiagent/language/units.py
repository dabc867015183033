"""Numbers and units in a request: tokens, fractions, number words, and lengths in millimetres.

``read_quantities(tokenize(normalise(text)))`` turns "a 1 1/2 inch cube, half-inch walls" into
tokens where every stated quantity is one ``Measure`` (value in mm) and every number written
without a unit is one ``Number`` (a count, or a length in mm; the sentence decides, not this
module).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Union

MM_PER_UNIT = {
    "um": 0.001, "mm": 1.0, "cm": 10.0, "m": 1000.0, "km": 1e6, "in": 25.4, "ft": 304.8, "yd": 914.4, "M": 1.0, "": 1.0,
}

# Unit word -> canonical unit. "M" is a metric screw size (M3 = 3 mm), "" means no unit given.
UNIT_WORDS = {
    "mm": "mm", "mms": "mm", "millimeter": "mm", "millimeters": "mm", "millimetre": "mm", "millimetres": "mm",
    "cm": "cm", "cms": "cm", "centimeter": "cm", "centimeters": "cm", "centimetre": "cm", "centimetres": "cm",
    "m": "m", "meter": "m", "meters": "m", "metre": "m", "metres": "m",
    "in": "in", "inch": "in", "inches": "in",
    "ft": "ft", "foot": "ft", "feet": "ft", "yd": "yd", "yard": "yd", "yards": "yd",
    "km": "km", "kilometer": "km", "kilometers": "km", "kilometre": "km", "kilometres": "km",
    "um": "um", "μm": "um", "micron": "um", "microns": "um", "micrometer": "um", "micrometers": "um",
    "deg": "deg", "degree": "deg", "degrees": "deg",
    "percent": "%",
}
LENGTH_UNITS = frozenset(("um", "mm", "cm", "m", "km", "in", "ft", "yd", "M", ""))
# Written out in full, so "an inch" is one inch; "a m" or "an in" is not English.
_ARTICLE_UNITS = ("inch", "millimeter", "millimetre", "centimeter", "centimetre", "meter", "metre", "foot")
# "30 in diameter": here "in" is a preposition, not inches.
_IN_AS_PREPOSITION = frozenset(
    "diameter radius size length height width thickness depth total all each every the a an pla petg abs asa tpu nylon".split()
)

_ONES = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19,
}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
_PARTS = {"half": 0.5, "halves": 0.5, "quarter": 0.25, "quarters": 0.25}

_VULGAR = {"½": " 1/2", "¼": " 1/4", "¾": " 3/4", "⅛": " 1/8", "⅜": " 3/8", "⅝": " 5/8", "⅞": " 7/8"}
_QUOTES = {"″": '"', "“": '"', "”": '"', "„": '"', "’": "'", "‘": "'", "′": "'", "×": " x ", "⁄": "/"}

_COORD = r"[-−]?\s?\d+(?:\.\d+)?"
_TUPLE = rf"\(\s*{_COORD}\s*,\s*{_COORD}(?:\s*,\s*{_COORD})?\s*\)"
# Coordinates written as "(0,0), (40,0) and (40,10)", with an optional "mm" after the run.
POINT_RUN = re.compile(rf"{_TUPLE}(?:\s*(?:,|and|,\s*and)?\s*{_TUPLE})*(?:\s*mm\b)?")
_TOKEN = re.compile(r"(?P<num>\d+(?:\.\d+)?|\.\d+)|(?P<word>[^\W\d_]+)|(?P<punct>[^\s\w]|_)")


@dataclass(frozen=True)
class Token:
    kind: str  # "num", "word" or "punct"
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Number:
    """A number written without a unit: a count ("12 teeth") or, if nothing else, a length in mm."""

    value: float
    text: str
    is_word: bool  # "four" rather than "4": never read as a length

    @property
    def is_whole(self) -> bool:
        return float(self.value).is_integer() and self.value >= 1


@dataclass(frozen=True)
class Measure:
    """A stated quantity. ``value`` is in millimetres for lengths, degrees for "deg", percent for "%"."""

    value: float
    unit: str  # a key of MM_PER_UNIT ("M": screw size, "": no unit given), or "deg", "%", "C"
    text: str

    @property
    def is_length(self) -> bool:
        return self.unit in LENGTH_UNITS


Piece = Union[Token, Number, Measure]


def normalise(text: str) -> str:
    """One spelling for what users type many ways: fractions, quotes, hyphens, case."""
    text = "".join(_VULGAR.get(c, _QUOTES.get(c, c)) for c in text)
    text = unicodedata.normalize("NFKC", text).lower()
    text = re.sub(r"\b([oi])\.\s?d\b\.?", r"\1d", text)  # O.D. / I.D.
    text = re.sub(r"\b3\s?-?\s?d\b", " ", text)  # "3D printed" is not a size
    text = re.sub(r"(\d),(\d{1,2})(?=\s?(?:mm|cm|in|m\b|\"))", r"\1.\2", text)  # decimal comma: 2,5 mm
    text = re.sub(r"°\s?([cf])\b", r" celsius ", text)
    # Boards by their product names, whose numbers are not sizes: one word each (feature_words.PLACE).
    text = re.sub(r"\b(?:raspberry\s*pi|rpi|pi)\s*zero(?:\s*2)?(?:\s*w(?:h)?)?\b", " rpizeroboard ", text)
    text = re.sub(r"\b(?:raspberry\s*pi|rpi|pi)\s*[34](?:\s*model)?(?:\s*b)?\+?(?=\W|$)", " rpifourboard ", text)
    text = re.sub(r"\barduino\s*uno(?:\s*r3)?\b", " arduinounoboard ", text)
    # What the part goes with is said many ways; "for" is how the reader knows it is not a second part.
    text = re.sub(r"\b(?:(?:that|which)\s+(?:will\s+)?fits?|to\s+fit|fitting|to\s+go\s+(?:on|with)|to\s+match|matching)\b", " for ", text)
    return re.sub(r"(?<=[^\W_])-(?=[^\W_])", " ", text)  # half-inch, 12-tooth, 1-1/2, open-top


def tokenize(text: str) -> list[Token]:
    return [Token(m.lastgroup, m.group(), m.start(), m.end()) for m in _TOKEN.finditer(text)]


def read_quantities(tokens: list[Token], text: str) -> list[Piece]:
    """Replace numbers (with their units) by Number and Measure pieces; other tokens pass through."""
    out: list[Piece] = []
    i = 0
    while i < len(tokens):
        found = _read_at(tokens, i, text)
        if found is None:
            out.append(tokens[i])
            i += 1
        else:
            piece, i = found
            out.append(piece)
    return out


def _read_at(tokens: list[Token], i: int, text: str) -> tuple[Piece, int] | None:
    number = _read_number(tokens, i)
    if number is None:
        return _read_article_unit(tokens, i, text) or _read_screw_size(tokens, i, text)
    value, j, is_word = number
    fraction_word = tokens[j - 1].text in _PARTS
    unit, k = _read_unit(tokens, j, allow_article=fraction_word)
    source = text[tokens[i].start : tokens[k - 1].end]
    if unit is None:
        if tokens[i].text in _PARTS:
            return None  # "half sphere", "half the height": a word, not a number
        return Number(value, text[tokens[i].start : tokens[j - 1].end], is_word), j
    return Measure(value * MM_PER_UNIT.get(unit, 1.0), unit, source), k


def _text(tokens: list[Token], i: int) -> str:
    return tokens[i].text if i < len(tokens) else ""


def _read_number(tokens: list[Token], i: int) -> tuple[float, int, bool] | None:
    """A number at i: 2, 2.5, 5/8, 1 1/2, "twenty four", "half", "three quarters", "one and a half"."""
    tok = tokens[i]
    if tok.kind == "num":
        before = tokens[i - 1] if i > 0 else None
        if before is not None and before.kind == "word" and before.end == tok.start and before.text != "x":
            return None  # part of a word such as "m3" or "pa12" (but "60x40" is two numbers)
        value, j = float(tok.text), i + 1
        if _text(tokens, j) == "/" and j + 1 < len(tokens) and tokens[j + 1].kind == "num":
            denominator = float(tokens[j + 1].text)
            return (value / denominator if denominator else value), j + 2, False
        if j + 2 < len(tokens) and tokens[j].kind == "num" and _text(tokens, j + 1) == "/" and tokens[j + 2].kind == "num":
            numerator, denominator = float(tokens[j].text), float(tokens[j + 2].text)
            if 0 < numerator < denominator:
                return value + numerator / denominator, j + 3, False
        return _and_a_half(tokens, value, j, False)
    if tok.kind != "word":
        return None
    if tok.text in _PARTS:
        return _PARTS[tok.text], i + 1, True
    if tok.text in _TENS:
        value, j = float(_TENS[tok.text]), i + 1
        if _text(tokens, j) in _ONES and 0 < _ONES[_text(tokens, j)] < 10:
            value, j = value + _ONES[_text(tokens, j)], j + 1
    elif tok.text in _ONES:
        value, j = float(_ONES[tok.text]), i + 1
    elif tok.text == "hundred":
        value, j = 100.0, i + 1
    else:
        return None
    if _text(tokens, j) in _PARTS:  # "three quarters"
        return value * _PARTS[_text(tokens, j)], j + 1, True
    return _and_a_half(tokens, value, j, True)


def _and_a_half(tokens: list[Token], value: float, j: int, is_word: bool) -> tuple[float, int, bool]:
    if _text(tokens, j) == "and" and _text(tokens, j + 1) in ("a", "one") and _text(tokens, j + 2) in ("half", "quarter"):
        return value + _PARTS[_text(tokens, j + 2)], j + 3, is_word
    return value, j, is_word


def _read_unit(tokens: list[Token], j: int, allow_article: bool) -> tuple[str | None, int]:
    """The unit after a number, if any: mm, cm, m, in, ft, ", '', ', °, %."""
    k = j
    if allow_article:  # "half an inch", "three quarters of an inch"
        if _text(tokens, k) == "of":
            k += 1
        if _text(tokens, k) in ("a", "an"):
            k += 1
    word = _text(tokens, k)
    if word == "m" and k + 1 < len(tokens) and tokens[k + 1].kind == "num" and tokens[k + 1].start == tokens[k].end:
        return None, j  # "two M4 holes": a screw size after the count, not two metres
    if k < len(tokens) and tokens[k].kind == "word" and word in UNIT_WORDS:
        if word == "in" and _text(tokens, k + 1) in _IN_AS_PREPOSITION:
            return None, j
        return UNIT_WORDS[word], k + 1
    if word == "celsius":
        return "C", k + 1
    if word == '"':
        return "in", k + 1
    if word == "'":
        if _text(tokens, k + 1) == "'" and tokens[k + 1].start == tokens[k].end:
            return "in", k + 2
        return "ft", k + 1
    if word == "°":
        return "deg", k + 1
    if word == "%":
        return "%", k + 1
    return None, j


def _read_article_unit(tokens: list[Token], i: int, text: str) -> tuple[Piece, int] | None:
    """ "an inch" is one inch."""
    if tokens[i].text in ("a", "an") and _text(tokens, i + 1) in _ARTICLE_UNITS:
        unit = UNIT_WORDS[tokens[i + 1].text]
        return Measure(MM_PER_UNIT[unit], unit, text[tokens[i].start : tokens[i + 1].end]), i + 2
    return None


def _read_screw_size(tokens: list[Token], i: int, text: str) -> tuple[Piece, int] | None:
    """ "M3" names a 3 mm screw; its hole is read as 3 mm. "M8x1" is a fine thread when 1 is one of
    ISO 261's pitches for M8; otherwise (as in "M3x10") the number after x is a length, read apart."""
    from ..model.standards import PITCHES

    tok = tokens[i]
    nxt = tokens[i + 1] if i + 1 < len(tokens) else None
    attached = nxt is not None and nxt.kind == "num" and nxt.start == tok.end
    # "4 M4 holes" is a count and a screw; "5m4" is not a screw
    if not (tok.text == "m" and attached and (i == 0 or tokens[i - 1].kind != "num" or tokens[i - 1].end != tok.start)):
        return None
    size = float(nxt.text)
    if _text(tokens, i + 2) in ("x", "×") and i + 3 < len(tokens) and tokens[i + 3].kind == "num":
        pitch = float(tokens[i + 3].text)
        if pitch in PITCHES.get(size, ()):
            return Measure(size, "M", f"M{nxt.text}x{tokens[i + 3].text}"), i + 4
    return Measure(size, "M", f"M{nxt.text}"), i + 2
