"""Charts as PNG (matplotlib, loaded on first use): the same image goes into the DOCX and the PDF."""

from __future__ import annotations

import io
import textwrap

from service.reports.document import Chart

_PALETTE = ("#1f5f8b", "#2e7d32", "#b8860b", "#c0392b", "#6a1b9a", "#607d8b")


def chart_png(chart: Chart) -> bytes:
    """One bar chart (grouped or stacked) with its reference line, as PNG bytes."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.ticker import MaxNLocator

    fig, ax = plt.subplots(figsize=(6.4, 2.8), dpi=120)
    positions = list(range(len(chart.categories)))
    bottoms = [0.0] * len(positions)
    # An all-zero series only crowds the legend.
    series = {name: values for name, values in chart.series.items() if any(values)} or chart.series
    count = max(1, len(series))
    width = 0.8 if chart.stacked else 0.8 / count
    for index, (name, values) in enumerate(series.items()):
        colour = _PALETTE[index % len(_PALETTE)]
        if chart.stacked:
            ax.bar(positions, values, width, bottom=bottoms, label=name, color=colour)
            bottoms = [b + v for b, v in zip(bottoms, values, strict=True)]
        else:
            shifted = [p - 0.4 + width * (index + 0.5) for p in positions]
            ax.bar(shifted, values, width, label=name, color=colour)
    if chart.limit is not None:
        ax.axhline(chart.limit, color="#c0392b", linestyle="--", linewidth=1, label=chart.limit_label or None)
    labels = ["\n".join(textwrap.wrap(c, 18)[:3]) for c in chart.categories]
    crowded = len(positions) > 6
    ax.set_xticks(positions, labels, fontsize=7, rotation=30 if crowded else 0, ha="right" if crowded else "center")
    if len(positions) < 4:  # a lone bar should not fill the page's width
        ax.set_xlim(-1.5, len(positions) + 0.5)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # counts: no half reviews
    ax.set_ylabel(chart.y_label, fontsize=8)
    ax.set_title(chart.title, fontsize=9)
    ax.tick_params(axis="y", labelsize=7)
    ax.spines[["top", "right"]].set_visible(False)
    if len(chart.series) > 1 or chart.limit_label:  # say what each colour means, even if one is empty
        ax.legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", pil_kwargs={"compress_level": 1})  # a few KB larger, much faster
    plt.close(fig)
    return buffer.getvalue()
