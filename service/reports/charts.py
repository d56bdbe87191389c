"""Charts as PNG (matplotlib, loaded on first use): the same image goes into the DOCX and the PDF."""

from __future__ import annotations

import io

from service.reports.document import Chart

_PALETTE = ("#1f5f8b", "#2e7d32", "#b8860b", "#c0392b", "#6a1b9a", "#607d8b")


def chart_png(chart: Chart) -> bytes:
    """One bar chart (grouped or stacked) with its reference line, as PNG bytes."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 2.8), dpi=120)
    count = max(1, len(chart.series))
    positions = list(range(len(chart.categories)))
    bottoms = [0.0] * len(positions)
    width = 0.8 if chart.stacked else 0.8 / count
    for index, (name, values) in enumerate(chart.series.items()):
        colour = _PALETTE[index % len(_PALETTE)]
        if chart.stacked:
            ax.bar(positions, values, width, bottom=bottoms, label=name, color=colour)
            bottoms = [b + v for b, v in zip(bottoms, values, strict=True)]
        else:
            shifted = [p - 0.4 + width * (index + 0.5) for p in positions]
            ax.bar(shifted, values, width, label=name, color=colour)
    if chart.limit is not None:
        ax.axhline(chart.limit, color="#c0392b", linestyle="--", linewidth=1, label=chart.limit_label or None)
    ax.set_xticks(positions, chart.categories, fontsize=7, rotation=30 if len(positions) > 6 else 0, ha="right")
    ax.set_ylabel(chart.y_label, fontsize=8)
    ax.set_title(chart.title, fontsize=9)
    ax.tick_params(axis="y", labelsize=7)
    ax.spines[["top", "right"]].set_visible(False)
    if len(chart.series) > 1 or chart.limit_label:
        ax.legend(fontsize=7, frameon=False)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()
