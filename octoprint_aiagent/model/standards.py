"""Metric fastener sizes, taken from the standards named beside each table: pure data and lookups.

Sizes are in mm and keyed by nominal diameter d, from M2 to M24 where the standard covers them.
A lookup takes a designation ("M8", "m8", "M8x1", "M8 x 1.0") and returns a small frozen record
that carries the thread; for a size a standard does not list it raises AgentError naming the
sizes it does. Heads and nuts go by diameter alone: the fine-pitch companions of these standards
(ISO 8673, 8675, 8676 and 8765) keep the same widths and heights for the sizes they cover, but a
record's ``standard`` names the table it came from.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from .errors import AgentError

STAGE = "understanding"

# ISO 68-1 basic profile: H = (sqrt 3 / 2) P is the height of the sharp 60 degree triangle; the
# profile is cut H/8 below it at the crest and H/4 above it at the root, so the basic minor
# diameter is d1 = d - 2 * 5H/8 = d - 1.0825 P and the pitch diameter d2 = d - 2 * 3H/8.
H_PER_PITCH = math.sqrt(3) / 2

# ISO 261 pitches for the ISO 262 sizes used by bolts and nuts: the coarse pitch first, then
# the fine pitches ISO 261 lists (M14x1.25 is there for spark plugs).
PITCHES: dict[float, tuple[float, ...]] = {
    2: (0.4, 0.25), 2.5: (0.45, 0.35), 3: (0.5, 0.35), 3.5: (0.6, 0.35), 4: (0.7, 0.5),
    5: (0.8, 0.5), 6: (1.0, 0.75), 8: (1.25, 1.0, 0.75), 10: (1.5, 1.25, 1.0, 0.75),
    12: (1.75, 1.5, 1.25, 1.0), 14: (2.0, 1.5, 1.25, 1.0), 16: (2.0, 1.5, 1.0),
    18: (2.5, 2.0, 1.5, 1.0), 20: (2.5, 2.0, 1.5, 1.0), 22: (2.5, 2.0, 1.5, 1.0),
    24: (3.0, 2.0, 1.5, 1.0),
}

# ISO 4032 hex nuts (style 1) and ISO 4035 thin nuts: width across flats s (ISO 272, the same
# for both) and height m (max).      d: (s, m ISO 4032, m ISO 4035)
NUTS: dict[float, tuple[float, float, float]] = {
    2: (4, 1.6, 1.2), 2.5: (5, 2, 1.6), 3: (5.5, 2.4, 1.8), 3.5: (6, 2.8, 2), 4: (7, 3.2, 2.2),
    5: (8, 4.7, 2.7), 6: (10, 5.2, 3.2), 8: (13, 6.8, 4), 10: (16, 8.4, 5), 12: (18, 10.8, 6),
    14: (21, 12.8, 7), 16: (24, 14.8, 8), 18: (27, 15.8, 9), 20: (30, 18, 10), 22: (34, 19.4, 11),
    24: (36, 21.5, 12),
}

# ISO 4017 (threaded to the head) and ISO 4014 (partly threaded) hex head bolts share a head:
# width across flats s and head height k (nominal).      d: (s, k)
BOLT_HEADS: dict[float, tuple[float, float]] = {
    2: (4, 1.4), 2.5: (5, 1.7), 3: (5.5, 2), 3.5: (6, 2.4), 4: (7, 2.8), 5: (8, 3.5), 6: (10, 4),
    8: (13, 5.3), 10: (16, 6.4), 12: (18, 7.5), 14: (21, 8.8), 16: (24, 10), 18: (27, 11.5),
    20: (30, 12.5), 22: (34, 14), 24: (36, 15),
}

# ISO 4762 socket head cap screws: head diameter dk (max, plain head), head height k (max),
# hexagon socket s (nominal) and socket depth t (min).      d: (dk, k, s, t)
SOCKET_HEADS: dict[float, tuple[float, float, float, float]] = {
    2: (3.8, 2, 1.5, 1), 2.5: (4.5, 2.5, 2, 1.1), 3: (5.5, 3, 2.5, 1.3), 4: (7, 4, 3, 2),
    5: (8.5, 5, 4, 2.5), 6: (10, 6, 5, 3), 8: (13, 8, 6, 4), 10: (16, 10, 8, 5),
    12: (18, 12, 10, 6), 14: (21, 14, 12, 7), 16: (24, 16, 14, 8), 20: (30, 20, 17, 10),
    24: (36, 24, 19, 12),
}

# ISO 10642 hexagon socket countersunk head screws, 90 degree head: theoretical (sharp-edged)
# head diameter dk, so a countersink of that diameter seats the head flush; head height
# k = (dk - d) / 2; hexagon socket s.      d: (dk, k, s)
COUNTERSUNK_HEADS: dict[float, tuple[float, float, float]] = {
    3: (6.72, 1.86, 2), 4: (8.96, 2.48, 2.5), 5: (11.2, 3.1, 3), 6: (13.44, 3.72, 4),
    8: (17.92, 4.96, 5), 10: (22.4, 6.2, 6), 12: (26.88, 7.44, 8), 14: (30.8, 8.4, 10),
    16: (33.6, 8.8, 10), 20: (40.32, 10.16, 12),
}

# ISO 7089 plain washers, normal series: hole d1 (min), outside d2 (max), thickness h (nominal).
WASHERS: dict[float, tuple[float, float, float]] = {
    2: (2.2, 5, 0.3), 2.5: (2.7, 6, 0.5), 3: (3.2, 7, 0.5), 3.5: (3.7, 8, 0.5), 4: (4.3, 9, 0.8),
    5: (5.3, 10, 1), 6: (6.4, 12, 1.6), 8: (8.4, 16, 1.6), 10: (10.5, 20, 2), 12: (13, 24, 2.5),
    14: (15, 28, 2.5), 16: (17, 30, 3), 18: (19, 34, 3), 20: (21, 37, 3), 22: (23, 39, 3),
    24: (25, 44, 4),
}

# ISO 7093-1 plain washers, large series: d1 (min), d2 (max), h (nominal).
LARGE_WASHERS: dict[float, tuple[float, float, float]] = {
    3: (3.2, 9, 0.8), 3.5: (3.7, 11, 0.8), 4: (4.3, 12, 1), 5: (5.3, 15, 1.2), 6: (6.4, 18, 1.6),
    8: (8.4, 24, 2), 10: (10.5, 30, 2.5), 12: (13, 37, 3), 14: (15, 44, 3), 16: (17, 50, 3),
    18: (20, 56, 4), 20: (22, 60, 4), 24: (26, 72, 5),
}

# ISO 273 clearance holes for bolts and screws.      d: (fine, medium, coarse)
CLEARANCE_HOLES: dict[float, tuple[float, float, float]] = {
    2: (2.2, 2.4, 2.6), 2.5: (2.7, 2.9, 3.1), 3: (3.2, 3.4, 3.6), 3.5: (3.7, 3.9, 4.2),
    4: (4.3, 4.5, 4.8), 5: (5.3, 5.5, 5.8), 6: (6.4, 6.6, 7), 8: (8.4, 9, 10), 10: (10.5, 11, 12),
    12: (13, 13.5, 14.5), 14: (15, 15.5, 16.5), 16: (17, 17.5, 18.5), 18: (19, 20, 21),
    20: (21, 22, 24), 22: (23, 24, 26), 24: (25, 26, 28),
}
FITS = ("fine", "medium", "coarse")
FIT_NAMES = {"close": "fine", "normal": "medium", "loose": "coarse"}  # the names people use
# A printed fit said in words, per side in mm, for threads, nuts and lids (the printer's "fit
# clearance" setting, 0.2 by default, is the normal fit): not a standard, the gaps that FDM
# printers commonly need for a snug and for an easy fit.
FIT_CLEARANCE_MM = {"close": 0.1, "loose": 0.35}

# Brass heat-set inserts: the hole diameters CNC Kitchen publishes for its standard inserts
# (M2x3, M2.5x4, M3x5.7, M4x8.1, M5x9.5), and those inserts' lengths.
#      d: (hole diameter, insert length)
HEAT_SET_INSERTS: dict[float, tuple[float, float]] = {
    2: (3.2, 3.0), 2.5: (3.6, 4.0), 3: (4.0, 5.7), 4: (5.6, 8.1), 5: (6.4, 9.5),
}
INSERT_DEPTH_MARGIN = 1.0  # ours, not the maker's: room below the insert for displaced plastic


def basic_minor_diameter(major_diameter: float, pitch: float) -> float:
    return major_diameter - 1.25 * H_PER_PITCH * pitch


@dataclass(frozen=True)
class MetricThread:
    designation: str  # "M8" for a coarse thread, "M8x1" for a fine one (ISO 965-1)
    major_diameter: float
    pitch: float
    coarse: bool

    @property
    def minor_diameter(self) -> float:
        """ISO 68-1 basic minor diameter d1 = D1 = d - 1.0825 P."""
        return basic_minor_diameter(self.major_diameter, self.pitch)

    @property
    def pitch_diameter(self) -> float:
        return self.major_diameter - 0.75 * H_PER_PITCH * self.pitch

    @property
    def tap_drill(self) -> float:
        """The hole to print for tapping (or for a screw to cut its own thread): d - P, the rule
        behind ISO 2306's tap drills, a little over D1 = d - 1.0825 P (the usual "75% thread").
        ISO 2306 then rounds to stock drills (8.8 for M10x1.25); a printed hole need not."""
        return round(self.major_diameter - self.pitch, 3)


@dataclass(frozen=True)
class HexNut:
    thread: MetricThread
    s: float  # width across flats
    m: float  # height
    standard: str

    @property
    def e(self) -> float:
        """Width across corners of the sharp hexagon (the standard's e min allows for rounding)."""
        return self.s * 2 / math.sqrt(3)


@dataclass(frozen=True)
class HexBolt:
    thread: MetricThread
    length: float  # under the head
    s: float  # head width across flats
    k: float  # head height
    thread_length: float  # from the tip; equal to length when threaded to the head
    standard: str


@dataclass(frozen=True)
class SocketHeadCapScrew:
    thread: MetricThread
    dk: float  # head diameter
    k: float  # head height
    s: float  # hexagon socket, across flats
    t: float  # socket depth


@dataclass(frozen=True)
class CountersunkScrew:
    thread: MetricThread
    dk: float  # head diameter at the top face
    k: float  # head height
    s: float  # hexagon socket, across flats
    angle: float = 90.0  # included angle of the head, degrees


@dataclass(frozen=True)
class Washer:
    thread: MetricThread
    d1: float  # hole
    d2: float  # outside
    h: float  # thickness
    standard: str


@dataclass(frozen=True)
class ClearanceHole:
    thread: MetricThread
    fit: str  # "fine", "medium" or "coarse"
    diameter: float


@dataclass(frozen=True)
class HeatSetInsert:
    thread: MetricThread
    hole_diameter: float
    insert_length: float
    depth: float  # of the hole


_DESIGNATION = re.compile(r"\s*M\s*(\d+(?:\.\d+)?)\s*(?:[x×]\s*(\d+(?:\.\d+)?))?\s*", re.IGNORECASE)


def _sizes(table: dict) -> str:
    return ", ".join(f"M{d:g}" for d in table)


def parse_metric(designation: str) -> MetricThread:
    """"M8", "m8", "M8x1" or "M8 x 1.0" -> the ISO thread; AgentError for sizes and pitches
    ISO 261 does not list."""
    match = _DESIGNATION.fullmatch(designation or "")
    if not match:
        hint = "write it like M8, or M8x1 for a fine pitch"
        raise AgentError(STAGE, f"{designation!r} is not a metric thread size", hint=hint)
    d = float(match.group(1))
    if d not in PITCHES:
        hint = f"choose one of {_sizes(PITCHES)}"
        raise AgentError(STAGE, f"M{d:g} is not among the ISO metric sizes known here", hint=hint)
    pitches = PITCHES[d]
    pitch = float(match.group(2)) if match.group(2) else pitches[0]
    if pitch not in pitches:
        fine = " and ".join(f"{p:g}" for p in pitches[1:])
        raise AgentError(
            STAGE,
            f"M{d:g} has no {pitch:g} mm pitch: ISO 261 lists {pitches[0]:g} (coarse) and {fine} mm",
            hint=f"write M{d:g} for the coarse pitch, or M{d:g}x{pitches[1]:g} for a fine one",
        )
    coarse = pitch == pitches[0]
    return MetricThread(f"M{d:g}" if coarse else f"M{d:g}x{pitch:g}", d, pitch, coarse)


def _lookup(size: str, table: dict, source: str, what: str) -> tuple[MetricThread, tuple]:
    thread = parse_metric(size)
    if thread.major_diameter not in table:
        hint = f"{source} sizes: {_sizes(table)}"
        raise AgentError(STAGE, f"{source} lists no M{thread.major_diameter:g} {what}", hint=hint)
    return thread, tuple(float(v) for v in table[thread.major_diameter])


def hex_nut(size: str, thin: bool = False) -> HexNut:
    thread, (s, m, m_thin) = _lookup(size, NUTS, "ISO 4032", "hex nut")
    return HexNut(thread, s, m_thin, "ISO 4035") if thin else HexNut(thread, s, m, "ISO 4032")


def iso4014_thread_length(major_diameter: float, length: float) -> float:
    """ISO 4014's reference thread length b, which grows with the bolt's length."""
    if length <= 125:
        return 2 * major_diameter + 6
    return 2 * major_diameter + (12 if length <= 200 else 25)


def hex_bolt(size: str, length: float, partly_threaded: bool = False) -> HexBolt:
    """ISO 4017, or ISO 4014 when partly threaded (a bolt shorter than its thread length b is
    threaded to the head, as an ISO 4017 bolt)."""
    thread, (s, k) = _lookup(size, BOLT_HEADS, "ISO 4017", "hex bolt")
    if length <= 0:
        raise AgentError(STAGE, f"a bolt needs a positive length, not {length:g} mm")
    if partly_threaded:
        b = iso4014_thread_length(thread.major_diameter, length)
        return HexBolt(thread, length, s, k, min(b, length), "ISO 4014")
    return HexBolt(thread, length, s, k, length, "ISO 4017")


def socket_head_cap_screw(size: str) -> SocketHeadCapScrew:
    thread, row = _lookup(size, SOCKET_HEADS, "ISO 4762", "socket head cap screw")
    return SocketHeadCapScrew(thread, *row)


def countersunk_screw(size: str) -> CountersunkScrew:
    thread, row = _lookup(size, COUNTERSUNK_HEADS, "ISO 10642", "countersunk screw")
    return CountersunkScrew(thread, *row)


def washer(size: str, large: bool = False) -> Washer:
    if large:
        thread, row = _lookup(size, LARGE_WASHERS, "ISO 7093", "large washer")
        return Washer(thread, *row, "ISO 7093")
    thread, row = _lookup(size, WASHERS, "ISO 7089", "washer")
    return Washer(thread, *row, "ISO 7089")


def clearance_hole(size: str, fit: str = "medium") -> ClearanceHole:
    """ISO 273; ``fit`` is fine, medium or coarse (or close, normal, loose)."""
    name = FIT_NAMES.get(fit.lower(), fit.lower())
    if name not in FITS:
        hint = "use fine, medium or coarse (close, normal or loose)"
        raise AgentError(STAGE, f"{fit!r} is not a clearance hole fit", hint=hint)
    thread, row = _lookup(size, CLEARANCE_HOLES, "ISO 273", "clearance hole")
    return ClearanceHole(thread, name, row[FITS.index(name)])


def heat_set_insert(size: str) -> HeatSetInsert:
    thread, (hole, length) = _lookup(size, HEAT_SET_INSERTS, "the heat-set insert table", "insert")
    return HeatSetInsert(thread, hole, length, length + INSERT_DEPTH_MARGIN)
