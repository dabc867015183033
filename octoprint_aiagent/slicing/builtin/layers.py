"""Layers: where they are, the outline of the part in each, and which areas must be solid."""

from __future__ import annotations

from dataclasses import dataclass

from ...model.materials import Quality


@dataclass(frozen=True)
class LayerSpec:
    index: int
    z: float  # top of the layer: where the nozzle is while printing it
    height: float  # thickness


def layer_specs(model_height: float, quality: Quality) -> list[LayerSpec]:
    """The first layer at ``first_layer_height``, the rest at ``layer_height``, up to the model's top."""
    first, step = quality.first_layer_height, quality.layer_height
    count = 1 + max(0, round((model_height - first) / step))
    specs = [LayerSpec(0, first, first)]
    specs += [LayerSpec(i, first + i * step, step) for i in range(1, count)]
    return specs


def slice_outlines(solid, specs: list[LayerSpec], simplify: float) -> list:
    """Cross sections (manifold3d.CrossSection) at each layer's mid-height.

    Sampling the middle of the layer, not its top or bottom, keeps the printed volume close to the
    model's on sloped walls. ``simplify`` drops vertices that deviate less than that many mm: a
    printer gains nothing from segments shorter than its nozzle.
    """
    top = solid.bounding_box()[5]
    outlines = []
    for spec in specs:
        mid = min(spec.z - spec.height / 2.0, top - 1e-4)
        outlines.append(solid.slice(mid).simplify(simplify))
    return outlines


def covered_regions(outlines: list, top_layers: int, bottom_layers: int) -> list:
    """Per layer, the area that has part above it for ``top_layers`` and below it for ``bottom_layers``.

    Only that area may get sparse infill; the rest of the layer is a top or bottom skin. Layers
    beyond the part count as empty, so the first and last layers come out solid.
    """
    import manifold3d

    count = len(outlines)
    covered = []
    for i, outline in enumerate(outlines):
        if i < bottom_layers or i + top_layers >= count:
            covered.append(manifold3d.CrossSection())
            continue
        stack = [outline] + outlines[i - bottom_layers : i] + outlines[i + 1 : i + 1 + top_layers]
        covered.append(manifold3d.CrossSection.batch_boolean(stack, manifold3d.OpType.Intersect))
    return covered
