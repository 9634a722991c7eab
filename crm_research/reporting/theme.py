"""The project's one plot theme: seaborn on matplotlib, a colour-blind-safe palette, PNGs at
2× pixel density and fonts that stay at least 9 pt at display size.

Palette: Okabe & Ito (2008) "Color universal design" — eight colours distinguishable under
the common colour-vision deficiencies (also matplotlib's ``tab10`` replacement in seaborn's
``colorblind`` palette). Sequential maps use ``viridis`` / diverging ``vlag``.

Display size: a report shows a figure at ``DISPLAY_DPI`` CSS pixels per figure inch (the
PNG carries ``SAVE_DPI`` = 2× as many pixels, so text is sharp on high-density screens), in
a column ``MAX_DISPLAY_PX`` wide. A figure wider than that is scaled down by the browser, and
its smallest text with it; :func:`smallest_display_pt` measures this so a report can warn.
"""

from __future__ import annotations

import re
from typing import Any

from cycler import cycler

OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000",
             "#F0E442"]  # yellow last: the palette's one low-contrast colour on white
DISPLAY_DPI = 100
SAVE_DPI = 200
MAX_DISPLAY_PX = 900
MIN_FONT_PT = 9.0

RC: dict[str, Any] = {
    "figure.figsize": (7.0, 4.2),
    "figure.dpi": DISPLAY_DPI,
    "savefig.dpi": SAVE_DPI,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "xtick.labelsize": 9.5,
    "ytick.labelsize": 9.5,
    "legend.fontsize": 9.5,
    "legend.title_fontsize": 10,
    "figure.titlesize": 12,
    "svg.hashsalt": "crm-research",
    "image.cmap": "viridis",
    "axes.prop_cycle": cycler(color=OKABE_ITO),
}


def apply() -> None:
    """Apply the theme (matplotlib rcParams through seaborn, Agg backend unless one is set)."""
    import matplotlib
    import seaborn as sns

    matplotlib.use("Agg", force=False)
    sns.set_theme(context="notebook", style="whitegrid", palette=OKABE_ITO, rc=RC)
    # the stubs type rcParams keys as a Literal of names; RC's keys are str (all valid names)
    matplotlib.rcParams.update(RC)  # type: ignore[arg-type]


def display_scale(width_in: float) -> float:
    """Factor by which the browser shrinks a figure ``width_in`` inches wide (≤ 1)."""
    px = width_in * DISPLAY_DPI
    return min(1.0, MAX_DISPLAY_PX / px) if px > 0 else 1.0


def smallest_display_pt(fig: Any, shown_px: float | None = None) -> float | None:
    """Smallest font size (pt) of the figure's visible text at its display size, or None.

    ``shown_px``: the saved image's width in CSS pixels (after ``bbox_inches="tight"``); by
    default the figure's own width."""
    sizes = []
    for text in fig.findobj(lambda o: hasattr(o, "get_fontsize") and hasattr(o, "get_text")):
        try:
            if text.get_visible() and str(text.get_text()).strip():
                sizes.append(float(text.get_fontsize()))
        except (AttributeError, TypeError, ValueError):
            continue
    if not sizes:
        return None
    width_in = fig.get_size_inches()[0] if shown_px is None else shown_px / DISPLAY_DPI
    return min(sizes) * display_scale(width_in)


def compact_png(data: bytes) -> bytes:
    """The PNG re-encoded with an adaptive 256-colour palette (no dithering) and zlib's best
    compression: about a third of the size of matplotlib's RGBA output for charts, and as
    deterministic (same input bytes → same output bytes)."""
    import io

    from PIL import Image

    with Image.open(io.BytesIO(data)) as img:
        rgb = img.convert("RGB")
    pal = rgb.quantize(colors=256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    out = io.BytesIO()
    pal.save(out, format="PNG", optimize=True)
    return out.getvalue()


_CODE_NAME = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")


def words(text: str) -> str:
    """``text`` with snake_case code names written as words (``predicted_clv`` → "predicted
    CLV", ``pareto_nbd`` → "Pareto/NBD"); everything else unchanged."""
    from crm_research.reporting.tables import label

    return _CODE_NAME.sub(lambda m: NAMES.get(m.group(0), label(m.group(0))), text)


NAMES = {"pareto_nbd": "Pareto/NBD", "bg_nbd": "BG/NBD", "gamma_gamma": "Gamma-Gamma",
         "predicted_clv": "predicted CLV", "std_error": "standard error",
         "p_value": "p value", "ci_low": "lower limit", "ci_high": "upper limit"}


def words_in_labels(fig: Any) -> None:
    """Rewrite code names in the figure's titles, axis labels and legends as words (tick
    labels are left alone: a formatter may redraw them)."""
    for ax in fig.get_axes():
        for getter, setter in ((ax.get_title, ax.set_title), (ax.get_xlabel, ax.set_xlabel),
                               (ax.get_ylabel, ax.set_ylabel)):
            text = getter()
            if text and _CODE_NAME.search(text):
                setter(words(text))
        legend = ax.get_legend()
        if legend is not None:
            for t in [*legend.get_texts(), legend.get_title()]:
                if _CODE_NAME.search(t.get_text()):
                    t.set_text(words(t.get_text()))
    for legend in getattr(fig, "legends", []):
        for t in legend.get_texts():
            if _CODE_NAME.search(t.get_text()):
                t.set_text(words(t.get_text()))
    suptitle = getattr(fig, "_suptitle", None)
    if suptitle is not None and _CODE_NAME.search(suptitle.get_text()):
        suptitle.set_text(words(suptitle.get_text()))


def raise_small_text(fig: Any, minimum: float = MIN_FONT_PT) -> int:
    """Set every visible text of ``fig`` smaller than ``minimum`` pt to ``minimum`` (for a
    figure shown at full size this is the display size); returns how many were raised."""
    raised = 0
    for text in fig.findobj(lambda o: hasattr(o, "get_fontsize") and hasattr(o, "set_fontsize")
                            and hasattr(o, "get_text")):
        try:
            if text.get_visible() and str(text.get_text()).strip() and \
                    float(text.get_fontsize()) < minimum - 0.05:
                text.set_fontsize(minimum)
                raised += 1
        except (AttributeError, TypeError, ValueError):
            continue
    return raised
