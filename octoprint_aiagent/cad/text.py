"""Text as 2D outlines for printed parts: a string -> manifold3d.CrossSection, sized in mm.

``height`` is always the cap height (the height of "H"), which is what a maker means by "10 mm
letters"; ``spacing`` is extra space in mm added between neighbouring characters. Outlines are
laid out with the font's advances and kerning pairs, curves flattened so that no chord lies more
than ``curves.SAGITTA_MM`` inside the true curve, and centred on the origin by their bounding box.

Font: DejaVu Sans Bold 2.37 (Debian's fonts-dejavu-core), subset to printable ASCII and Latin-1
(U+0020-007E, U+00A0-00FF: 191 characters), kerning kept in its legacy 'kern' table, hinting and
OpenType layout dropped. Licence: Bitstream Vera (DejaVu's changes are public domain), the upstream
text in ``fonts/LICENSE``; it allows modified copies whose names contain neither "Bitstream" nor
"Vera". Remade, byte for byte with fontTools 4.68, by:

    pyftsubset /usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf \\
        --unicodes=U+0020-007E,U+00A0-00FF --layout-features= --legacy-kern --no-hinting \\
        --drop-tables+=GSUB,GPOS,GDEF,FFTM \\
        --output-file=octoprint_aiagent/cad/fonts/DejaVuSans-Bold-Latin1.ttf
"""

from __future__ import annotations

import functools
import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import manifold3d
import numpy as np
from fontTools.pens.boundsPen import BoundsPen
from fontTools.ttLib import TTFont

from ..model.errors import AgentError
from .curves import SAGITTA_MM

STAGE = "designing"
FONT_PATH = Path(__file__).with_name("fonts") / "DejaVuSans-Bold-Latin1.ttf"
MAX_CHARS = 64
MAX_HEIGHT_MM = 500.0
STROKE_STEP_UNITS = 1.0  # flattening for thinnest_stroke, font units: 1/1493 of the cap height
STROKE_ANGLE_DEG = 20.0


@dataclass(frozen=True)
class _Outline:
    """A glyph's closed contours as cubic Beziers (lines and TrueType's quadratics raised to
    cubics exactly, so one vectorised pass flattens them all), in font units."""

    cubics: np.ndarray  # (segments, 4 control points, xy), contour after contour
    per_contour: tuple[int, ...]  # segments in each contour


@dataclass(frozen=True)
class _Font:
    """Everything read from the font file, as plain data (safe to share between threads)."""

    glyph_of: dict[int, str]  # code point -> glyph name
    advance: dict[str, int]
    kerning: dict[tuple[str, str], int]
    outline: dict[str, _Outline]  # glyphs that leave a mark
    bounds: dict[str, tuple[float, float, float, float]]  # exact curve bounds, same glyphs
    cap_height: float


Point = tuple[float, float]


def _towards(a: Point, b: Point, f: float) -> Point:
    return (a[0] + f * (b[0] - a[0]), a[1] + f * (b[1] - a[1]))


class _CubicPen(BoundsPen):
    """Records contours as cubic Beziers while BoundsPen measures the exact curve bounds, so
    each glyph is drawn once. BasePen splits TrueType's implied on-curve points and draws
    composite glyphs (accented letters) from their components."""

    def __init__(self, glyph_set) -> None:
        super().__init__(glyph_set)
        self.contours: list[list[tuple[Point, Point, Point, Point]]] = []
        self.start: Point = (0.0, 0.0)

    def _moveTo(self, pt: Point) -> None:
        self.contours.append([])
        self.start = pt
        super()._moveTo(pt)

    def _lineTo(self, pt: Point) -> None:
        p0 = self._getCurrentPoint()
        self.contours[-1].append((p0, _towards(p0, pt, 1 / 3), _towards(p0, pt, 2 / 3), pt))  # no bend
        super()._lineTo(pt)

    def _qCurveToOne(self, pt1: Point, pt2: Point) -> None:
        p0 = self._getCurrentPoint()
        self.contours[-1].append((p0, _towards(p0, pt1, 2 / 3), _towards(pt2, pt1, 2 / 3), pt2))
        super()._qCurveToOne(pt1, pt2)

    def _curveToOne(self, pt1: Point, pt2: Point, pt3: Point) -> None:
        self.contours[-1].append((self._getCurrentPoint(), pt1, pt2, pt3))
        super()._curveToOne(pt1, pt2, pt3)

    def _closePath(self) -> None:
        # Close with an explicit line, so every contour ends where it starts.
        if self._getCurrentPoint() != self.start:
            self._lineTo(self.start)


@functools.lru_cache(maxsize=1)
def _font() -> _Font:
    tt = TTFont(FONT_PATH)
    glyph_set = tt.getGlyphSet()
    glyph_of = tt.getBestCmap()
    outline, bounds = {}, {}
    for name in set(glyph_of.values()):
        pen = _CubicPen(glyph_set)
        glyph_set[name].draw(pen)
        if pen.bounds is not None:  # blank glyphs (spaces) only advance
            cubics = np.array([s for c in pen.contours for s in c], dtype=float)
            outline[name] = _Outline(cubics, tuple(map(len, pen.contours)))
            bounds[name] = pen.bounds
    return _Font(
        glyph_of=glyph_of,
        advance={name: tt["hmtx"][name][0] for name in glyph_of.values()},
        kerning=dict(tt["kern"].kernTables[0].kernTable),
        outline=outline,
        bounds=bounds,
        cap_height=bounds["H"][3],
    )


def _invalid(message: str, hint: str) -> AgentError:
    return AgentError(STAGE, message, reason="invalid", hint=hint)


def _checked(text: str, height: float, spacing: float) -> str:
    """The text in composed form (an "e" plus a combining accent becomes "é"), or AgentError."""
    text = unicodedata.normalize("NFC", text)
    if not text.strip():
        raise _invalid("the text is empty, so there are no letters to make", "give the words to write, e.g. 'ANNA'")
    if len(text) > MAX_CHARS:
        raise _invalid(f"the text is {len(text)} characters long; the limit is {MAX_CHARS}",
                       "shorten it, or split it over several parts")
    missing = sorted({c for c in text if ord(c) not in _font().glyph_of})
    if missing:
        names = ", ".join(f"{c!r} (U+{ord(c):04X})" for c in missing)
        raise _invalid(f"the built-in font has no {names}",
                       "write one line with letters, digits and punctuation from ASCII and Western "
                       "European Latin (e.g. é, ß, Ø, °, ±)")
    if not 0 < height <= MAX_HEIGHT_MM:  # also refuses NaN
        raise _invalid(f"letters {height!r} mm tall cannot be made",
                       f"give a letter height above 0 and at most {MAX_HEIGHT_MM:g} mm")
    if not 0 <= spacing <= MAX_HEIGHT_MM:
        raise _invalid(f"a letter spacing of {spacing!r} mm cannot be used",
                       f"give extra space between letters of 0 to {MAX_HEIGHT_MM:g} mm")
    return text


def _layout(text: str) -> list[tuple[str, float, int]]:
    """(glyph, x of its origin in font units, character index) for each character; the spacing
    in mm is added by the callers as index * spacing, once they know the scale."""
    font = _font()
    placed, x, previous = [], 0.0, None
    for i, char in enumerate(text):
        glyph = font.glyph_of[ord(char)]
        x += font.kerning.get((previous, glyph), 0)
        placed.append((glyph, x, i))
        x += font.advance[glyph]
        previous = glyph
    return placed


def _inked(text: str) -> np.ndarray:
    """Rows of (x min, x max, y min, y max) in font units and the character index, for every
    character that leaves a mark (spaces do not count towards the size)."""
    bounds = _font().bounds
    rows = [(x + bounds[g][0], x + bounds[g][2], bounds[g][1], bounds[g][3], i)
            for g, x, i in _layout(text) if g in bounds]
    return np.array(rows, dtype=float)


def _polygons(cubics: np.ndarray, per_contour: Sequence[int], tolerance: float) -> list[np.ndarray]:
    """Closed contours of cubic Beziers as polygons whose chords stay within ``tolerance``."""
    # Wang's formula: n equal parameter steps keep a cubic's chords within
    # 3/4 * max|P[i] - 2 P[i+1] + P[i+2]| / n^2 of the curve; lines get one step.
    bend = np.linalg.norm(cubics[:, :2] - 2 * cubics[:, 1:3] + cubics[:, 2:], axis=2).max(axis=1)
    steps = np.maximum(1, np.ceil(np.sqrt(0.75 * bend / tolerance))).astype(int)
    segment = np.repeat(np.arange(len(cubics)), steps)
    t = ((np.arange(steps.sum()) - np.repeat(np.cumsum(steps) - steps, steps) + 1) / steps[segment])[:, None]
    p = cubics[segment]
    points = (1 - t) ** 3 * p[:, 0] + 3 * (1 - t) ** 2 * t * p[:, 1] + 3 * (1 - t) * t**2 * p[:, 2] + t**3 * p[:, 3]
    ends = np.cumsum(steps)[np.cumsum(per_contour) - 1]  # each contour's last point, its start
    return np.split(points, ends[:-1])


def text_outline(text: str, height: float, *, spacing: float = 0.0) -> manifold3d.CrossSection:
    """The text's letters as one cross-section (counters of A, O, B are holes), cap height
    ``height`` mm, bounding box centred on the origin. Raises AgentError for empty or overlong
    text, characters the font lacks, or an impossible height or spacing."""
    text = _checked(text, height, spacing)
    font = _font()
    scale = height / font.cap_height
    placed = [(font.outline[g], x * scale + i * spacing) for g, x, i in _layout(text) if g in font.outline]
    cubics = np.concatenate([o.cubics * scale + (shift, 0.0) for o, shift in placed])
    per_contour = [n for o, _shift in placed for n in o.per_contour]
    # TrueType winds outer contours one way and counters the other; non-zero winding also
    # merges letters that kerning makes touch.
    section = manifold3d.CrossSection(_polygons(cubics, per_contour, SAGITTA_MM), manifold3d.FillRule.NonZero)
    x0, y0, x1, y1 = section.bounds()
    return section.translate((-(x0 + x1) / 2, -(y0 + y1) / 2))


def text_size(text: str, height: float, *, spacing: float = 0.0) -> tuple[float, float]:
    """(width, height) in mm of ``text_outline``'s bounding box, from the font's glyph bounds
    without building geometry (the built outline is at most ``SAGITTA_MM`` smaller)."""
    text = _checked(text, height, spacing)
    scale = height / _font().cap_height
    ink = _inked(text)
    left, right = ink[:, 0] * scale + ink[:, 4] * spacing, ink[:, 1] * scale + ink[:, 4] * spacing
    return float(right.max() - left.min()), float((ink[:, 3].max() - ink[:, 2].min()) * scale)


def fit_height(text: str, width: float, height: float, margin: float, *, spacing: float = 0.0) -> float:
    """The largest cap height (mm, at most MAX_HEIGHT_MM) at which ``text_size`` fits a
    ``width`` x ``height`` box inside ``margin`` on every side. Raises AgentError if none does."""
    room_x, room_y = width - 2 * margin, height - 2 * margin
    if not (margin >= 0 and room_x > 0 and room_y > 0):  # also refuses NaN
        raise _invalid(f"text cannot fit a {width:g} x {height:g} mm face inside a margin of {margin:g} mm",
                       "use a margin of 0 mm or more that leaves room, or a larger face")
    text = _checked(text, 1.0, spacing)
    ink = _inked(text) / np.array([_font().cap_height] * 4 + [1.0])  # bounds per mm of cap height
    # Width at cap height h is the largest right[i] - left[j] over all pairs of marks:
    # (right_i - left_j) * h + (index_i - index_j) * spacing, which must stay within room_x.
    # Pairs whose slope is not positive have mark i before mark j, so they never bind.
    slope = ink[:, 1][:, None] - ink[:, 0][None, :]
    offset = (ink[:, 4][:, None] - ink[:, 4][None, :]) * spacing
    binds = slope > 0
    fit_x = ((room_x - offset[binds]) / slope[binds]).min()
    fit = min(float(fit_x), room_y / float(ink[:, 3].max() - ink[:, 2].min()), MAX_HEIGHT_MM)
    if fit <= 0:
        raise _invalid(f"with {spacing:g} mm between letters, {text!r} is wider than {room_x:g} mm at any size",
                       "use less spacing, shorter text, or a larger face")
    return fit


@functools.cache
def _glyph_stroke(glyph: str) -> float:
    """The glyph's thinnest stroke in font units, by a stroke-width transform: from the middle
    of every outline edge and from every vertex, go straight into the letter until the outline
    is met again; where the outline there faces back (normals within STROKE_ANGLE_DEG of
    opposite), the distance is a stroke width. Corners and tapered ends meet the outline at an
    angle and do not count; free-ended strokes (the arms of T, the ends of S) do, which an
    inward offset alone would miss because they shrink back without breaking."""
    outline = _font().outline[glyph]
    section = manifold3d.CrossSection(_polygons(outline.cubics, outline.per_contour, STROKE_STEP_UNITS),
                                      manifold3d.FillRule.NonZero)
    polygons = section.to_polygons()  # material on the left of every edge
    start = np.concatenate(polygons)
    edge = np.concatenate([np.roll(p, -1, axis=0) for p in polygons]) - start
    normal = np.stack([-edge[:, 1], edge[:, 0]], axis=1) / np.linalg.norm(edge, axis=1)[:, None]
    first = np.cumsum([0] + [len(p) for p in polygons[:-1]])
    before = np.concatenate([np.roll(np.arange(len(p)), 1) + f for p, f in zip(polygons, first)])
    bisector = normal + normal[before]  # a vertex looks along the mean of its two edges' normals
    origin = np.concatenate([start + edge / 2, start])
    ray = np.concatenate([normal, bisector / np.linalg.norm(bisector, axis=1)[:, None]])
    # origin + t * ray meets start[j] + u * edge[j] where the 2x2 system below solves for t, u.
    det = ray[:, None, 1] * edge[None, :, 0] - ray[:, None, 0] * edge[None, :, 1]
    dx, dy = start[None, :, 0] - origin[:, None, 0], start[None, :, 1] - origin[:, None, 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (dy * edge[None, :, 0] - dx * edge[None, :, 1]) / det
        u = (ray[:, None, 0] * dy - ray[:, None, 1] * dx) / det
    t = np.where((t > 1e-6) & (u >= 0) & (u <= 1), t, np.inf)
    hit = t.argmin(axis=1)
    across = np.einsum("ij,ij->i", ray, normal[hit]) < -math.cos(math.radians(STROKE_ANGLE_DEG))
    return float(t[np.arange(len(hit)), hit][across].min())


def thinnest_stroke(text: str, height: float) -> float:
    """The width in mm of the thinnest stroke among the text's letters at cap height ``height``
    for comparing with the nozzle. Gaps between letters and counters are not measured."""
    text = _checked(text, height, 0.0)
    bounds = _font().bounds
    units = min(_glyph_stroke(g) for g, _x, _i in _layout(text) if g in bounds)
    return units * height / _font().cap_height
