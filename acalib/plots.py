"""Figures in the paper's look: mean +- std over seeds, offline half then online half."""
from __future__ import annotations

import os
import textwrap
from pathlib import Path

import matplotlib

if not os.environ.get("MPLBACKEND"):  # Jupyter kernels set their inline backend: figures show in the notebook
    matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402


def mean_std(metrics: pd.DataFrame, value: str = "normalized_score") -> pd.DataFrame:
    """Per-step mean and std over seeds."""
    g = metrics.groupby("step")[value]
    return pd.DataFrame({"mean": g.mean(), "std": g.std(ddof=0).fillna(0.0), "seeds": g.count()}).reset_index()


OFFLINE_COLORS = (2, 4, 7, 8)  # tab10 indices: offline curves (green first, as the paper's SAC+ML)
ONLINE_COLORS = (3, 0, 1, 6, 5, 9)  # online curves


def label_colors(offline_labels, online_labels) -> dict[str, int]:
    """A tab10 index per curve label, for panels that show different subsets of the same methods (Fig. 5:
    CQL and AWAC on hopper-medium only): pass it to every panel so that a method keeps its colour."""
    offline, online = dict.fromkeys(offline_labels), dict.fromkeys(online_labels)  # unique, in first-seen order
    colors = {label: OFFLINE_COLORS[i % len(OFFLINE_COLORS)] for i, label in enumerate(offline)}
    colors.update({label: ONLINE_COLORS[i % len(ONLINE_COLORS)] for i, label in enumerate(online)})
    return colors


def plot_offline_online(ax, offline: pd.DataFrame | dict[str, pd.DataFrame] | None, online: dict[str, pd.DataFrame],
                        title: str, offline_label: str = "SAC+ML (offline)", value: str = "normalized_score",
                        legend: bool = True, colors: dict[str, int] | None = None) -> None:
    """Offline curves on the left half, online curves (one per method) on the right half, as the paper's
    Figs. 1a, 5 and 7: each half on its own step scale (200k offline steps take as much width as 50k online
    ones), the switch marked, ticks labelled in each half's own steps.

    ``offline``: one offline run's metrics (labelled ``offline_label``) or several, {label: metrics}
    (Fig. 5: SAC+ML, CQL, AWAC; online methods sharing an offline run share its curve). ``colors``: a tab10
    index per label (``label_colors``); without it curves are coloured by their order in this panel."""
    palette, colors = sns.color_palette("tab10"), colors or {}
    if isinstance(offline, pd.DataFrame):
        offline = {offline_label: offline}
    offline, online = offline or {}, {k: mean_std(df, value) for k, df in online.items()}
    offline_steps = max((int(df["step"].max()) for df in offline.values()), default=0)
    online_steps = max((int(s["step"].max()) for s in online.values()), default=0)
    scale = online_steps / offline_steps if offline_steps and online_steps else 1.0  # offline x -> plot x
    switch = offline_steps * scale
    for i, (label, df) in enumerate(offline.items()):
        s = mean_std(df, value)
        color = palette[colors.get(label, OFFLINE_COLORS[i % len(OFFLINE_COLORS)])]
        ax.plot(s["step"] * scale, s["mean"], color=color, label=label)
        ax.fill_between(s["step"] * scale, s["mean"] - s["std"], s["mean"] + s["std"], color=color, alpha=0.2)
    if offline:
        ax.axvline(switch, color="grey", ls="--", lw=0.8)
    for i, (label, s) in enumerate(online.items()):
        color = palette[colors.get(label, ONLINE_COLORS[i % len(ONLINE_COLORS)])]
        ax.plot(s["step"] + switch, s["mean"], color=color, label=label)
        ax.fill_between(s["step"] + switch, s["mean"] - s["std"], s["mean"] + s["std"], color=color, alpha=0.2)
    ticks = [(f * switch, _steps_label(f * offline_steps)) for f in (0, 0.5)] if offline else []
    at_switch = [_steps_label(offline_steps)] if offline else []
    ticks.append((switch, " | ".join(at_switch + (["0"] if online_steps else []))))
    ticks += [(switch + f * online_steps, _steps_label(f * online_steps)) for f in (0.5, 1) if online_steps]
    ax.set_xticks([x for x, _ in ticks], [label for _, label in ticks])
    ax.set_title(title)
    ax.set_xlabel("offline steps | online environment steps" if offline and online else
                  "offline steps" if offline else "online environment steps")
    ax.set_ylabel("normalized score" if value == "normalized_score" else value)
    if legend:
        ax.legend(fontsize=8)


def _steps_label(steps: float) -> str:
    """12000 -> '12k', 1500000 -> '1.5M', 500 -> '500'."""
    for unit, size in (("M", 1e6), ("k", 1e3)):
        if steps >= size:
            return f"{steps / size:g}{unit}"
    return f"{steps:g}"


def shared_legend(fig, axes, ncol: int = 5) -> None:
    """One legend for all panels, centred below them: every label that any panel (``axes``: one or several)
    draws, once, in the order the panels first draw it."""
    entries = {}
    for ax in np.atleast_1d(axes):
        for handle, label in zip(*ax.get_legend_handles_labels()):
            entries.setdefault(label, handle)
    fig.legend(list(entries.values()), list(entries), loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=ncol,
               fontsize=9, frameon=False)


def empty_panel(ax, title: str, message: str, fontsize: float | None = None) -> None:
    """A panel for a run the profile does not make: its title, the reason in the middle, no axis scale."""
    ax.text(0.5, 0.5, message, ha="center", va="center", fontsize=fontsize, transform=ax.transAxes)
    ax.set(title=title, xticks=[], yticks=[])


def plot_curves(ax, curves: dict[str, pd.DataFrame], title: str, xlabel: str, reference: float | None = None,
                reference_label: str = "offline score", value: str = "normalized_score") -> None:
    """One mean +- std curve per method (actor-only updates, online-only panels); ``reference``
    draws a dashed horizontal line (the score at the end of offline training, as the paper)."""
    palette = sns.color_palette("tab10")
    for i, (label, df) in enumerate(curves.items()):
        s = mean_std(df, value)
        color = palette[ONLINE_COLORS[i % len(ONLINE_COLORS)]]
        ax.plot(s["step"], s["mean"], color=color, label=label)
        ax.fill_between(s["step"], s["mean"] - s["std"], s["mean"] + s["std"], color=color, alpha=0.2)
    if reference is not None:
        ax.axhline(reference, color="grey", ls="--", lw=1.0, label=reference_label)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("normalized score" if value == "normalized_score" else value)
    ax.legend(fontsize=8)


def plot_state_norms(ax, norms: dict[str, np.ndarray], title: str, bins: int = 100) -> None:
    """Fig. 9: overlaid histograms of the L2 norm of the states of each dataset (label: norms)."""
    palette = sns.color_palette("tab10")
    for i, (label, values) in enumerate(norms.items()):
        sns.histplot(x=values, bins=bins, ax=ax, color=palette[i % 10], label=label, element="step", alpha=0.3)
    ax.set_title(title)
    ax.set_xlabel("state L2 norm")
    ax.set_ylabel("count")
    if norms:
        ax.legend(fontsize=8)


OUTCOME_COLORS = {"holds": 2, "does not hold": 3, "inconclusive": 7}  # tab10: green, red, grey


def plot_claims(ax, frame: pd.DataFrame) -> None:
    """The claims table as a forest plot: one row per test (claim, subject, statistic), its mean over
    seeds and bootstrap interval, 0 marked, and the paper's direction (the test: < 0, > 0, reaches >= 0)
    written beside; colour = the test's outcome."""
    palette = sns.color_palette("tab10")
    y = np.arange(len(frame))[::-1]
    for yi, row in zip(y, frame.itertuples(index=False)):
        color = palette[OUTCOME_COLORS.get(row.outcome, 7)]
        ax.errorbar(row.mean, yi, xerr=[[row.mean - row.low], [row.high - row.mean]], fmt="o", color=color,
                    capsize=3, lw=1.5)
    ax.axvline(0.0, color="black", lw=0.8)
    ax.set_yticks(y, [f"{r.claim} {r.subject}: {r.statistic}" for r in frame.itertuples(index=False)], fontsize=8)
    ax.set_xlabel("normalized score difference (mean over seeds, 95 % bootstrap interval)")
    right = ax.get_xlim()[1]
    for yi, row in zip(y, frame.itertuples(index=False)):
        ax.annotate(f"paper: {row.test} → {row.outcome}", (1.01, yi), xycoords=("axes fraction", "data"),
                    va="center", fontsize=8, color=palette[OUTCOME_COLORS.get(row.outcome, 7)])
    ax.set_xlim(right=right)
    ax.grid(axis="x", alpha=0.3)


def panel_grid(n: int, cols: int = 3, size: tuple[float, float] = (5.0, 3.4)):
    """A figure with ``n`` panels, ``cols`` per row; returns (fig, the n axes), unused axes removed."""
    cols = max(1, min(cols, n))
    rows = -(-n // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(size[0] * cols, size[1] * rows), squeeze=False)
    flat = list(axes.ravel())
    for ax in flat[n:]:
        ax.remove()
    return fig, flat[:n]


def caption(fig, text: str, fontsize: float = 8) -> None:
    """``text`` (what the figure shows: profile, steps, seeds) above the panels, wrapped to the figure's width.
    Call it after ``tight_layout``: the saved figure's tight bounding box then takes the caption in."""
    width_chars = max(40, int(fig.get_figwidth() * 72 / (0.55 * fontsize)))  # ~0.55 em per character
    fig.suptitle(textwrap.fill(text, width_chars), fontsize=fontsize, y=1.0, va="bottom")


def save_figure(fig, path_without_suffix: str | Path) -> list[Path]:
    """Save as PNG and PDF; returns both paths."""
    base = Path(path_without_suffix)
    base.parent.mkdir(parents=True, exist_ok=True)
    paths = [base.with_suffix(".png"), base.with_suffix(".pdf")]
    for p in paths:
        fig.savefig(p, dpi=130, bbox_inches="tight")
    plt.close(fig)
    return paths
