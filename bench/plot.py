"""The run's pictures: ratios against Twisted, and the scale curves.

What it owns: ``ratioPlot`` (every table row, each framework's advantage
over Twisted with min-max bars and plait's target) and ``scalePlot`` (the
scale workload's per-operation costs over 1k, 10k and 50k connections).
matplotlib is needed only here and only when a plot is asked for: it is in
the ``bench`` extra, not in the test environment, and ``bench.run`` imports
this module lazily (``available()`` says whether a plot can be made).
"""

from __future__ import annotations

import statistics
import textwrap
from pathlib import Path
from typing import Any

from bench.catalog import LABELS, SCALE_SIZES

COLOURS = {"plait": "#1b7837", "asyncio": "#2166ac", "uvloop": "#b2abd2",
           "selectors": "#999999", "twisted": "#d6604d"}


def available() -> str | None:
    """Why no plot can be made here, or None if it can."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return "matplotlib is not installed (pip install -e '.[bench]')"
    return None


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _advantage(row: dict[str, Any], cell: dict[str, Any], ref: float) -> tuple[float, float, float]:
    """(median, low, high) of how many times better than Twisted's median."""
    values = [cell["median"] / ref, cell["min"] / ref, cell["max"] / ref]
    if not row["higher_is_better"]:
        values = [1 / v if v else float("inf") for v in values]
    median, a, b = values
    return median, min(a, b), max(a, b)


def ratioPlot(rows: list[dict[str, Any]], frameworks: list[str], title: str, note: str,
              path: Path) -> bool:
    """Horizontal bars per row and framework; False if no row has a Twisted reference."""
    shown = [f for f in frameworks if f != "twisted"]
    plotted = [r for r in rows if r["frameworks"].get("twisted", {}).get("median")
               and r["unit"] != "×"]
    if not plotted or not shown:
        return False
    plt = _pyplot()
    barHeight = 0.8 / len(shown)
    fig, ax = plt.subplots(figsize=(11, 1.6 + 0.28 * len(plotted) * max(1, len(shown)) / 2))
    for i, fw in enumerate(shown):
        ys, xs, lows, highs = [], [], [], []
        for j, row in enumerate(plotted):
            cell = row["frameworks"].get(fw)
            if not cell or "median" not in cell:
                continue
            median, low, high = _advantage(row, cell, row["frameworks"]["twisted"]["median"])
            ys.append(j + (i - (len(shown) - 1) / 2) * barHeight)
            xs.append(median)
            lows.append(median - low)
            highs.append(high - median)
        # Bars grow from Twisted's 1.0: rightwards where better, leftwards where worse.
        ax.barh(ys, [x - 1 for x in xs], left=1, height=barHeight,
                color=COLOURS.get(fw, "#666666"), label=LABELS[fw],
                xerr=[lows, highs], error_kw={"elinewidth": 0.8, "capsize": 2})
    for j, row in enumerate(plotted):
        if row["target"] is not None:
            target = row["target"] if row["higher_is_better"] else 1 / row["target"]
            ax.plot([target, target], [j - 0.45, j + 0.45], color="black", linewidth=1.5,
                    linestyle=":")
    ax.axvline(1.0, color=COLOURS["twisted"], linewidth=1)
    ax.set_yticks(range(len(plotted)))
    ax.set_yticklabels([r["label"] for r in plotted], fontsize=8)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlabel("times better than Twisted (median; bars: the framework's min–max over "
                  "Twisted's median; dotted: plait's target; red line: Twisted)", fontsize=8)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    ax.set_title("\n".join(textwrap.wrap(title, 130)), fontsize=8)
    fig.text(0.01, 0.005, "\n".join(textwrap.wrap(note, 180)), fontsize=7, va="bottom")
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


#: (metric, panel title, transform of one sample's value, y label)
SCALE_PANELS = [
    ("connect_rate", "connect", lambda v: 1e6 / v, "µs per connection"),
    ("probe_rate", "round trips among the idle", lambda v: 1e6 / v, "µs per round trip"),
    ("rate", "all connections active", lambda v: 1e6 / v, "µs per round trip"),
    ("server_kib_per_conn", "server RSS per connection", lambda v: v, "KiB"),
    ("poll_us", "poll cost (one empty loop pass)", lambda v: v, "µs"),
]


def scalePlot(samples: dict[str, dict[str, list[dict[str, Any]]]], frameworks: list[str],
              title: str, path: Path) -> bool:
    """Per-operation cost against the connection count; False if no scale bench ran."""
    sizes = [(label, n) for label, n in SCALE_SIZES.items() if f"scale-{label}" in samples]
    if not sizes:
        return False
    plt = _pyplot()
    fig, axes = plt.subplots(2, 3, figsize=(13, 7.5))
    for ax, (metric, name, transform, unit) in zip(axes.flat, SCALE_PANELS, strict=False):
        for fw in frameworks:
            xs, ys, lows, highs = [], [], [], []
            for label, _ in sizes:
                runs = samples[f"scale-{label}"].get(fw, [])
                values = [transform(r[metric]) for r in runs
                          if metric in r and "error" not in r and "skipped" not in r
                          and r[metric]]
                if not values:
                    continue
                median = statistics.median(values)
                xs.append(runs[0].get("connections", SCALE_SIZES[label]))
                ys.append(median)
                lows.append(median - min(values))
                highs.append(max(values) - median)
            if xs:
                ax.errorbar(xs, ys, yerr=[lows, highs], marker="o", capsize=3,
                            color=COLOURS.get(fw, "#666666"), label=LABELS[fw])
        ax.set_xscale("log")
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("connections", fontsize=8)
        ax.set_ylabel(unit, fontsize=8)
        ax.set_ylim(bottom=0)
        ax.grid(True, alpha=0.3)
    axes.flat[0].legend(fontsize=8)
    axes.flat[-1].axis("off")
    axes.flat[-1].text(0, 0.5, "\n".join(textwrap.wrap(
        "Lower is better everywhere. A flat line means no step in per-operation cost as the "
        "connection count grows. Points: median over the runs; bars: min–max.", 45)), fontsize=9)
    fig.suptitle("\n".join(textwrap.wrap(title, 150)), fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True
