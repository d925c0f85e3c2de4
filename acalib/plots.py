"""Figures in the paper's look: mean +- std over seeds, offline half then online half."""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402


def mean_std(metrics: pd.DataFrame, value: str = "normalized_score") -> pd.DataFrame:
    """Per-step mean and std over seeds."""
    g = metrics.groupby("step")[value]
    return pd.DataFrame({"mean": g.mean(), "std": g.std(ddof=0).fillna(0.0), "seeds": g.count()}).reset_index()


def plot_offline_online(ax, offline: pd.DataFrame | None, online: dict[str, pd.DataFrame], title: str,
                        offline_label: str = "SAC+ML (offline)", value: str = "normalized_score") -> None:
    """Offline curve on the left half, online curves (one per method) on the right half."""
    palette = sns.color_palette("tab10")
    shift = 0
    if offline is not None:
        s = mean_std(offline, value)
        ax.plot(s["step"], s["mean"], color=palette[2], label=offline_label)
        ax.fill_between(s["step"], s["mean"] - s["std"], s["mean"] + s["std"], color=palette[2], alpha=0.2)
        shift = int(s["step"].max())
        ax.axvline(shift, color="grey", ls="--", lw=0.8)
    for i, (label, df) in enumerate(online.items()):
        s = mean_std(df, value)
        color = palette[(i + 3) % 10]
        ax.plot(s["step"] + shift, s["mean"], color=color, label=label)
        ax.fill_between(s["step"] + shift, s["mean"] - s["std"], s["mean"] + s["std"], color=color, alpha=0.2)
    ax.set_title(title)
    ax.set_xlabel("offline steps | online environment steps")
    ax.set_ylabel("normalized score" if value == "normalized_score" else value)
    ax.legend(fontsize=8)


def save_figure(fig, path_without_suffix: str | Path) -> list[Path]:
    """Save as PNG and PDF; returns both paths."""
    base = Path(path_without_suffix)
    base.parent.mkdir(parents=True, exist_ok=True)
    paths = [base.with_suffix(".png"), base.with_suffix(".pdf")]
    for p in paths:
        fig.savefig(p, dpi=130, bbox_inches="tight")
    plt.close(fig)
    return paths
