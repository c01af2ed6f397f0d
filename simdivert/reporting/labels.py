"""Value labels written beside markers and bars, kept clear of one another.

A label is tried where it was placed, then mirrored to the other side of its point
(below a line's marker instead of above); one that still overlaps a label already kept
is hidden, so the figure never shows two numbers on top of each other. The extents are
measured on the laid-out figure at the resolution of its PNG.
"""

from __future__ import annotations

from collections.abc import Iterable

from matplotlib.figure import Figure
from matplotlib.text import Annotation, Text
from matplotlib.transforms import Bbox

from simdivert.reporting.plots import PNG_DPI

_PAD_PIXELS = 1.0  # labels closer than this count as touching


def _mirror(label: Annotation) -> bool:
    """Move an offset label to the other side of its point; False if it has no offset."""
    dx, dy = label.xyann
    if dy == 0 or label.anncoords != "offset points":
        return False
    label.xyann = (dx, -dy)
    label.set_verticalalignment("top" if dy > 0 else "bottom")
    return True


def _extent(label: Text, renderer) -> Bbox:
    return label.get_window_extent(renderer).expanded(1.0, 1.0).padded(_PAD_PIXELS)


def keep_labels_clear(figure: Figure, labels: Iterable[Text], mirror: bool = True) -> None:
    """Lay ``figure`` out and hide, in order, each label that would overlap a kept one."""
    figure.set_dpi(PNG_DPI)
    figure.draw_without_rendering()
    renderer = figure.canvas.get_renderer()  # type: ignore[attr-defined]
    kept: list[Bbox] = []
    for label in labels:
        box = _extent(label, renderer)
        if any(box.overlaps(other) for other in kept):
            if mirror and isinstance(label, Annotation) and _mirror(label):
                box = _extent(label, renderer)
            if any(box.overlaps(other) for other in kept):
                label.set_visible(False)
                continue
        kept.append(box)
