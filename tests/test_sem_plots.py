"""Figures of the PLS study: right-to-left construct names (issue 11 item 9).

matplotlib lays text out with libraqm (bidi + Arabic shaping). The tests ask that engine where
each character lands (``matplotlib._text_helpers.layout``: x position per character), so they
check what is drawn, not only the string.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib import font_manager  # noqa: E402
from matplotlib._text_helpers import layout  # noqa: E402
from matplotlib.ft2font import FT2Font  # noqa: E402
from matplotlib.transforms import Bbox  # noqa: E402

from crm_research.sem.plots import display_text, has_rtl, path_label, paths_figure  # noqa: E402

SAT_FA = "رضایت"      # satisfaction
LOY_FA = "وفاداری"    # loyalty


def _x_span(label: str, part: str, others: str) -> tuple[float, float]:
    """Leftmost and rightmost x at which the letters of ``part`` that occur nowhere in
    ``others`` are drawn (the engine yields glyphs in visual order, so they are matched by
    character, not by position in the string)."""
    font = FT2Font(font_manager.findfont("DejaVu Sans"))
    font.set_size(12, 72)
    own = set(part) - set(others)
    xs = [item.x for item in layout(label, font) if item.char in own]
    assert xs, (label, part)
    return min(xs), max(xs)


def _reads_source_then_target(label: str, source: str, target: str) -> bool:
    arrow = _x_span(label, "→", source + target)
    return (_x_span(label, source, target + "→")[1] < arrow[0]
            and _x_span(label, target, source + "→")[0] > arrow[1])


def test_left_to_right_labels_are_unchanged() -> None:
    assert path_label("SAT", "LOY") == "SAT → LOY"
    assert display_text("Image ({})", "IMAG") == "Image (IMAG)"
    assert not has_rtl("LOY") and has_rtl(SAT_FA) and has_rtl(LOY_FA)


@pytest.mark.parametrize(("source", "target"),
                         [(SAT_FA, "LOY"), ("IMAG", LOY_FA), (SAT_FA, LOY_FA), ("SAT", "LOY")])
def test_path_label_draws_source_left_of_the_arrow(source: str, target: str) -> None:
    assert _reads_source_then_target(path_label(source, target), source, target)


def test_the_plain_label_was_drawn_reversed() -> None:
    """The defect the fix removes: a label starting with a Persian name becomes a
    right-to-left paragraph and the target is drawn on the left."""
    assert not _reads_source_then_target(f"{SAT_FA} → LOY", SAT_FA, "LOY")


def test_paths_figure_draws_the_display_labels() -> None:
    paths = pd.DataFrame({"source": [SAT_FA, "IMAG"], "target": ["LOY", LOY_FA],
                          "estimate": [0.5, 0.2], "ci_low": [0.4, 0.1], "ci_high": [0.6, 0.3]})
    fig = paths_figure(paths)
    drawn = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert drawn == [path_label(SAT_FA, "LOY"), path_label("IMAG", LOY_FA)]
    plt.close(fig)


def test_ipma_labels_of_the_ecsi_model_do_not_overlap() -> None:
    """Issue 12: QUAL ran into VAL. The label boxes, as the renderer draws them, are disjoint."""
    from crm_research.data import datasets
    from crm_research.sem.plots import ipma_figure
    from crm_research.sem.pls import estimate_pls
    from crm_research.sem.pls.ipma import ipma

    res = estimate_pls(datasets.load("ecsi_satisfaction"), "ecsi_satisfaction")
    table = ipma(res, "LOY")[0]
    fig = ipma_figure(table, "LOY")
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    texts = [t for t in ax.texts if t.get_text() in set(table["construct"])]
    assert sorted(t.get_text() for t in texts) == sorted(table["construct"])
    boxes = [t.get_window_extent(renderer) for t in texts]
    frame = ax.get_window_extent(renderer)
    for i, a in enumerate(boxes):
        assert frame.contains(a.x0, a.y0) and frame.contains(a.x1, a.y1)
        for b in boxes[i + 1:]:
            assert not a.overlaps(b), (a, b)
    # nor does a label run into another construct's marker (the old QUAL label touched VAL's)
    r = 3.0 * fig.dpi / 72.0
    where = dict(zip(table["construct"], ax.transData.transform(
        table[["importance", "performance"]].to_numpy()), strict=True))
    for t, box in zip(texts, boxes, strict=True):
        for name, (px, py) in where.items():
            if name != t.get_text():
                assert not box.overlaps(Bbox.from_extents(px - r, py - r, px + r, py + r)), name
    plt.close(fig)


def test_place_labels_separates_labels_of_coincident_points() -> None:
    """Three points at (almost) the same place: the plain offset would stack all three labels."""
    from crm_research.sem.plots import place_labels

    fig, ax = plt.subplots()
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    xs, ys = [0.5, 0.501, 0.502], [0.5, 0.5, 0.501]
    notes = place_labels(ax, ["QUAL", "VAL", "EXPE"], xs, ys)
    renderer = fig.canvas.get_renderer()
    boxes = [n.get_window_extent(renderer) for n in notes]
    assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])
    fig2, ax2 = plt.subplots()
    ax2.set_xlim(0, 1)
    ax2.set_ylim(0, 1)
    again = place_labels(ax2, ["QUAL", "VAL", "EXPE"], xs, ys)
    assert [n.get_position() for n in again] == [n.get_position() for n in notes]  # deterministic
    plt.close(fig)
    plt.close(fig2)
