"""Standard fastener sizes: spot checks against the standards' own figures, the rules that tie
the tables together, and refusals that say what would be accepted."""

from __future__ import annotations

import pytest

from octoprint_aiagent.model import standards
from octoprint_aiagent.model.errors import AgentError
from octoprint_aiagent.model.standards import (
    clearance_hole,
    countersunk_screw,
    heat_set_insert,
    hex_bolt,
    hex_nut,
    parse_metric,
    socket_head_cap_screw,
    washer,
)

COMMON = ["M2.5", "M3", "M4", "M5", "M6", "M8", "M10", "M12", "M14", "M16", "M20", "M24"]


@pytest.mark.parametrize(
    "text,designation,d,pitch,coarse",
    [
        ("M8", "M8", 8, 1.25, True),
        ("m8", "M8", 8, 1.25, True),
        ("M8x1", "M8x1", 8, 1.0, False),
        ("M8 x 1.0", "M8x1", 8, 1.0, False),
        ("M8X1.25", "M8", 8, 1.25, True),
        (" M2.5 ", "M2.5", 2.5, 0.45, True),
        ("M12x1.5", "M12x1.5", 12, 1.5, False),
        ("M24", "M24", 24, 3.0, True),
    ],
)
def test_parse_metric(text, designation, d, pitch, coarse):
    assert parse_metric(text) == standards.MetricThread(designation, d, pitch, coarse)


def test_iso_261_coarse_pitches():
    coarse = {d: pitches[0] for d, pitches in standards.PITCHES.items()}
    assert coarse == {2: 0.4, 2.5: 0.45, 3: 0.5, 3.5: 0.6, 4: 0.7, 5: 0.8, 6: 1.0, 8: 1.25, 10: 1.5,
                      12: 1.75, 14: 2.0, 16: 2.0, 18: 2.5, 20: 2.5, 22: 2.5, 24: 3.0}
    for pitches in standards.PITCHES.values():
        assert all(fine < pitches[0] for fine in pitches[1:])  # fine pitches are finer


@pytest.mark.parametrize(
    "text,words",
    [
        ("M8x0.3", ["0.3", "1.25", "1", "0.75"]),  # the valid pitches are named
        ("M7", ["M7", "M2", "M24"]),
        ("bolt", ["bolt", "M8"]),
        ("", ["M8"]),
    ],
)
def test_parse_metric_refuses_with_a_sentence(text, words):
    with pytest.raises(AgentError) as caught:
        parse_metric(text)
    assert caught.value.stage == "understanding" and caught.value.reason == "invalid"
    said = str(caught.value)
    for word in words:
        assert word in said


def test_iso_68_1_derived_diameters_and_tap_drills():
    m8 = parse_metric("M8")
    assert m8.minor_diameter == pytest.approx(6.647, abs=1e-3)  # ISO 724: D1 = 6.647
    assert m8.pitch_diameter == pytest.approx(7.188, abs=1e-3)  # d2 = 7.188
    # d - P against ISO 2306's tap drills, which round to stock drill sizes.
    for size, iso_2306 in [("M2.5", 2.05), ("M3", 2.5), ("M4", 3.3), ("M6", 5.0), ("M8", 6.8), ("M10", 8.5),
                           ("M12", 10.2), ("M8x1", 7.0), ("M10x1.25", 8.8), ("M24", 21.0)]:
        assert parse_metric(size).tap_drill == pytest.approx(iso_2306, abs=0.051)


def test_iso_4032_and_4035_nuts():
    nut = hex_nut("M8")
    assert (nut.s, nut.m, nut.standard, nut.thread.pitch) == (13, 6.8, "ISO 4032", 1.25)
    assert (hex_nut("M3").s, hex_nut("M3").m) == (5.5, 2.4)
    assert (hex_nut("M10").s, hex_nut("M10").m) == (16, 8.4)  # ISO 272's 16, not DIN 934's 17
    assert (hex_nut("M24").s, hex_nut("M24").m) == (36, 21.5)
    thin = hex_nut("M8", thin=True)
    assert (thin.s, thin.m, thin.standard) == (13, 4, "ISO 4035")
    assert hex_nut("M8x1").thread.designation == "M8x1"
    assert nut.e == pytest.approx(15.011, abs=1e-3)  # sharp corners; ISO 4032 e min is 14.38


def test_iso_4017_and_4014_bolts():
    bolt = hex_bolt("M6", 30)
    assert (bolt.s, bolt.k, bolt.thread_length, bolt.standard) == (10, 4, 30, "ISO 4017")
    assert (hex_bolt("M8", 40).s, hex_bolt("M8", 40).k) == (13, 5.3)
    assert (hex_bolt("M12", 50).s, hex_bolt("M12", 50).k) == (18, 7.5)
    # ISO 4014's thread length b: 2d + 6 up to 125 mm, 2d + 12 to 200 mm, 2d + 25 beyond.
    assert hex_bolt("M8", 60, partly_threaded=True).thread_length == 22
    assert hex_bolt("M12", 150, partly_threaded=True).thread_length == 36
    assert hex_bolt("M20", 220, partly_threaded=True).thread_length == 65
    assert hex_bolt("M8", 16, partly_threaded=True).thread_length == 16  # never longer than the bolt
    assert hex_bolt("M8", 60, partly_threaded=True).standard == "ISO 4014"
    with pytest.raises(AgentError, match="positive length"):
        hex_bolt("M8", 0)


def test_iso_4762_socket_head_cap_screws():
    m3, m8 = socket_head_cap_screw("M3"), socket_head_cap_screw("M8")
    assert (m3.dk, m3.k, m3.s) == (5.5, 3, 2.5)
    assert (m8.dk, m8.k, m8.s, m8.t) == (13, 8, 6, 4)
    assert socket_head_cap_screw("M5").s == 4


def test_iso_10642_countersunk_heads_are_90_degree_cones():
    m4 = countersunk_screw("M4")
    assert (m4.dk, m4.k, m4.s, m4.angle) == (8.96, 2.48, 2.5, 90)
    for d, (dk, k, _s) in standards.COUNTERSUNK_HEADS.items():
        assert k == pytest.approx((dk - d) / 2, abs=1e-9)  # a 90 degree cone from d to dk


def test_iso_7089_and_7093_washers():
    m5 = washer("M5")
    assert (m5.d1, m5.d2, m5.h, m5.standard) == (5.3, 10, 1, "ISO 7089")
    assert (washer("M8").d1, washer("M8").d2, washer("M8").h) == (8.4, 16, 1.6)
    large = washer("M5", large=True)
    assert (large.d1, large.d2, large.h, large.standard) == (5.3, 15, 1.2, "ISO 7093")
    assert washer("M8", large=True).d2 == 24


def test_iso_273_clearance_holes():
    assert [clearance_hole("M3", fit).diameter for fit in ("fine", "medium", "coarse")] == [3.2, 3.4, 3.6]
    assert [clearance_hole("M8", fit).diameter for fit in ("close", "normal", "loose")] == [8.4, 9, 10]
    assert clearance_hole("M12").diameter == 13.5 and clearance_hole("M12").fit == "medium"
    with pytest.raises(AgentError, match="not a clearance hole fit"):
        clearance_hole("M3", "snug")


def test_heat_set_inserts():
    m3 = heat_set_insert("M3")
    assert (m3.hole_diameter, m3.insert_length) == (4.0, 5.7)
    assert m3.depth > m3.insert_length
    assert sorted(standards.HEAT_SET_INSERTS) == [2, 2.5, 3, 4, 5]


def test_tables_hang_together():
    tables = ("NUTS", "BOLT_HEADS", "SOCKET_HEADS", "COUNTERSUNK_HEADS", "WASHERS", "LARGE_WASHERS",
              "CLEARANCE_HOLES", "HEAT_SET_INSERTS")
    for table in (getattr(standards, name) for name in tables):
        assert set(table) <= set(standards.PITCHES)  # every size has a thread
    for size in COMMON:
        d = parse_metric(size).major_diameter
        fine, medium, coarse = (clearance_hole(size, fit).diameter for fit in standards.FITS)
        assert d < fine < medium < coarse
        assert d < washer(size).d1 < washer(size).d2
        assert hex_nut(size).s > d and hex_nut(size, thin=True).m < hex_nut(size).m
        assert socket_head_cap_screw(size).dk > d


@pytest.mark.parametrize(
    "lookup,size,standard",
    [
        (socket_head_cap_screw, "M3.5", "ISO 4762"),
        (countersunk_screw, "M24", "ISO 10642"),
        (lambda s: washer(s, large=True), "M2", "ISO 7093"),
        (heat_set_insert, "M6", "heat-set insert"),
    ],
)
def test_sizes_a_standard_lacks_are_refused_with_the_sizes_it_has(lookup, size, standard):
    with pytest.raises(AgentError) as caught:
        lookup(size)
    said = str(caught.value)
    assert standard in said and size in said and "sizes:" in said
