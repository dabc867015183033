"""Text outlines measured: cap height, counters, centring, scaling, kerning, stroke width, fitting
a face, and solids extruded from them (watertight, expected size)."""

from __future__ import annotations

import manifold3d
import numpy as np
import pytest

from octoprint_aiagent.cad.curves import SAGITTA_MM
from octoprint_aiagent.cad.mesh_io import manifold_to_trimesh
from octoprint_aiagent.cad.text import FONT_PATH, MAX_CHARS, fit_height, text_outline, text_size, thinnest_stroke
from octoprint_aiagent.model.errors import AgentError

M = manifold3d.Manifold
PRINTABLE = [chr(c) for c in list(range(0x21, 0x7F)) + list(range(0xA1, 0x100))]  # all but the blanks


def contours(section: manifold3d.CrossSection) -> tuple[int, int]:
    """(outer contours, holes): manifold3d winds outers counter-clockwise (positive area)."""
    areas = [0.5 * np.sum(p[:, 0] * np.roll(p[:, 1], -1) - np.roll(p[:, 0], -1) * p[:, 1]) for p in section.to_polygons()]
    return sum(a > 0 for a in areas), sum(a < 0 for a in areas)


def size(section: manifold3d.CrossSection) -> tuple[float, float]:
    x0, y0, x1, y1 = section.bounds()
    return x1 - x0, y1 - y0


def refused(call, *words: str) -> AgentError:
    with pytest.raises(AgentError) as caught:
        call()
    error = caught.value
    assert (error.stage, error.reason) == ("designing", "invalid")
    assert error.hint
    for word in words:
        assert word in error.message
    return error


# --- the font ------------------------------------------------------------------------------------


def test_font_ships_with_its_licence():
    licence = (FONT_PATH.parent / "LICENSE").read_text(encoding="utf-8")
    assert "Bitstream Vera" in licence and "DejaVu changes are in public domain" in licence
    assert FONT_PATH.stat().st_size < 40_000  # the subset, not the 700 kB face


def test_every_printable_ascii_and_latin1_character_has_an_outline():
    for i in range(0, len(PRINTABLE), MAX_CHARS):
        chunk = "".join(PRINTABLE[i : i + MAX_CHARS])
        section = text_outline(chunk, 5)
        assert section.area() > 0 and len(section.decompose()) >= len(chunk)


# --- geometry ------------------------------------------------------------------------------------


@pytest.mark.parametrize("height", [3.0, 10.0, 42.5])
def test_cap_height_of_H_is_the_asked_height(height):
    assert size(text_outline("H", height))[1] == pytest.approx(height, rel=0.01)
    assert text_size("H", height)[1] == pytest.approx(height, rel=1e-9)


def test_anna_has_four_letters_and_two_counters():
    section = text_outline("ANNA", 10)
    assert contours(section) == (4, 2)  # each A has a counter; N has none
    assert len(section.decompose()) == 4


@pytest.mark.parametrize("text, counts", [("O", (1, 1)), ("B", (1, 2)), ("8", (1, 2)), ("i", (2, 0)), ("Ö", (3, 1))])
def test_counters_and_separate_marks_are_kept(text, counts):
    assert contours(text_outline(text, 10)) == counts


@pytest.mark.parametrize("text", ["ANNA", "M3", "Xy,", " gap "])
def test_outline_is_valid_and_centred(text):
    section = text_outline(text, 8)
    assert not section.is_empty() and section.area() > 0
    x0, y0, x1, y1 = section.bounds()
    assert abs(x0 + x1) < 1e-9 and abs(y0 + y1) < 1e-9


@pytest.mark.parametrize("text", ["ANNA", "Oslo 2024", "ÄÖÜ gj", "@&%?"])
def test_text_size_is_the_outline_size_without_building_it(text):
    built, predicted = size(text_outline(text, 12)), text_size(text, 12)
    # Flattened curves lie inside the true ones by at most the sagitta.
    assert predicted[0] - 2 * SAGITTA_MM <= built[0] <= predicted[0] + 1e-6
    assert predicted[1] - 2 * SAGITTA_MM <= built[1] <= predicted[1] + 1e-6


def test_size_scales_linearly_with_height():
    small, large = text_size("Calibration", 5), text_size("Calibration", 20)
    assert large[0] == pytest.approx(4 * small[0], rel=1e-9) and large[1] == pytest.approx(4 * small[1], rel=1e-9)
    assert size(text_outline("Calibration", 20))[0] == pytest.approx(4 * size(text_outline("Calibration", 5))[0], rel=0.01)


def test_area_scales_with_the_square_of_height():
    assert text_outline("ANNA", 20).area() == pytest.approx(4 * text_outline("ANNA", 10).area(), rel=0.01)


def test_advances_kerning_and_spacing():
    one, two = text_size("H", 10)[0], text_size("HH", 10)[0]
    assert two > 2 * one  # the advance leaves a gap between letters
    a, v = text_size("A", 10)[0], text_size("V", 10)[0]
    assert text_size("AV", 10)[0] < a + v  # the kerning pair A-V tucks V under A
    assert text_size("HH", 10, spacing=1.5)[0] == pytest.approx(two + 1.5)
    assert size(text_outline("HHH", 10, spacing=1.5))[0] == pytest.approx(text_size("HHH", 10)[0] + 3.0, abs=1e-6)


def test_decomposed_accents_are_composed():
    assert text_outline("Caf" + "e\u0301", 10).area() == pytest.approx(text_outline("Café", 10).area())


# --- refusals -----------------------------------------------------------------------------------


def test_characters_without_a_glyph_are_refused_by_name():
    error = refused(lambda: text_outline("Ω → ok", 10), "'Ω' (U+03A9)", "'→' (U+2192)")
    assert "ASCII" in error.hint
    refused(lambda: text_size("two\nlines", 10), "U+000A")


@pytest.mark.parametrize("text", ["", "   ", "\u00a0"])
def test_empty_text_is_refused(text):
    refused(lambda: text_outline(text, 10), "empty")


def test_overlong_text_is_refused():
    text_outline("x" * MAX_CHARS, 5)
    refused(lambda: text_outline("x" * (MAX_CHARS + 1), 5), f"{MAX_CHARS + 1} characters", str(MAX_CHARS))


@pytest.mark.parametrize("height", [0.0, -3.0, float("nan"), float("inf"), 501.0])
def test_impossible_heights_are_refused(height):
    refused(lambda: text_outline("M3", height), "mm tall")


def test_negative_spacing_is_refused():
    refused(lambda: text_size("M3", 10, spacing=-1.0), "spacing")


# --- stroke width --------------------------------------------------------------------------------


def test_thinnest_stroke_is_proportional_to_height():
    assert thinnest_stroke("ANNA", 3) == pytest.approx(0.3 * thinnest_stroke("ANNA", 10), rel=1e-9)


def test_stroke_of_I_is_its_width():
    assert thinnest_stroke("I", 10) == pytest.approx(size(text_outline("I", 10))[0], rel=0.01)


def test_free_ended_strokes_count():
    # The crossbar of T is thinner than its stem; an inward offset only shortens it.
    ys = np.unique(np.round(np.concatenate(text_outline("T", 10).to_polygons())[:, 1], 6))
    crossbar = ys[-1] - ys[-2]
    assert thinnest_stroke("T", 10) == pytest.approx(crossbar, rel=0.01)
    assert thinnest_stroke("T", 10) < thinnest_stroke("I", 10)


def test_the_thinnest_letter_decides():
    assert thinnest_stroke("IT", 10) == pytest.approx(thinnest_stroke("T", 10))
    assert thinnest_stroke("I I", 10) == pytest.approx(thinnest_stroke("I", 10))


# --- fitting a face ------------------------------------------------------------------------------


@pytest.mark.parametrize("text, spacing", [("ANNA", 0.0), ("ANNA", 1.0), ("Hi", 0.0), ("0123456789ABCDEF", 0.5), ("gj", 0.0)])
def test_fit_height_fills_the_box_inside_the_margin(text, spacing):
    height = fit_height(text, 60, 20, 2, spacing=spacing)
    w, h = text_size(text, height, spacing=spacing)
    assert w <= 56 + 1e-9 and h <= 16 + 1e-9
    assert max(w / 56, h / 16) == pytest.approx(1.0, rel=1e-9)  # touching one side: the largest


def test_fit_height_refuses_a_margin_that_leaves_no_room():
    refused(lambda: fit_height("ANNA", 20, 10, 5), "margin")


def test_fit_height_refuses_spacing_that_cannot_fit():
    refused(lambda: fit_height("ANNA", 20, 10, 1, spacing=6.0), "wider than 18 mm")


# --- solids --------------------------------------------------------------------------------------


def test_extruded_word_is_watertight_with_the_expected_box():
    section = text_outline("ANNA", 10)
    mesh = manifold_to_trimesh(M.extrude(section, 1.0))
    assert mesh.is_watertight and mesh.is_winding_consistent
    assert mesh.extents == pytest.approx([*size(section), 1.0], abs=1e-6)
    assert mesh.volume == pytest.approx(section.area(), rel=1e-6)


def test_name_tag_with_raised_letters():
    # "a name tag 60 x 20 x 2 mm with ANNA in raised 1 mm letters", 3 mm margin
    height = fit_height("ANNA", 60, 20, 3)
    letters = M.extrude(text_outline("ANNA", height), 1.0).translate((0.0, 0.0, 2.0))
    tag = M.cube([60, 20, 2], True).translate((0.0, 0.0, 1.0)) + letters
    mesh = manifold_to_trimesh(tag)
    assert mesh.is_watertight and len(mesh.split(only_watertight=False)) == 1
    assert mesh.extents == pytest.approx([60, 20, 3])
    assert mesh.volume == pytest.approx(60 * 20 * 2 + letters.volume(), rel=1e-6)


def test_engraved_text():
    # "engrave 'M3' on the top" of a 20 mm cube, 0.6 mm deep
    section = text_outline("M3", fit_height("M3", 20, 20, 2))
    cube = M.cube([20, 20, 20], True).translate((0.0, 0.0, 10.0))
    engraved = cube - M.extrude(section, 0.6).translate((0.0, 0.0, 20.0 - 0.6))
    mesh = manifold_to_trimesh(engraved)
    assert mesh.is_watertight
    assert mesh.volume == pytest.approx(8000 - 0.6 * section.area(), rel=1e-6)
