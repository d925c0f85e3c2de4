"""The figure-and-table pair most artifacts share: several online methods fine-tuned from one
offline run per dataset, a panel per dataset (offline half, then every online curve) and a
table of final normalized scores with δ against the end of offline training.

    runs = {"hopper-medium": (off, {"SAC→ACA": aca, "BC only": bc})}
    online_comparison(study, runs, "fig07_ablations", "Ablations", figures_dir, tables_dir)
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from .plots import caption, panel_grid, plot_offline_online, save_figure
from .runs import RunDir
from .tables import ScoreTable, final_scores, save_table

FIGURE_ONLY = "The paper shows these as figures only."


def online_comparison(study, runs: dict[str, tuple[RunDir, dict[str, RunDir]]], stem: str, what: str,
                      figures_dir: str | Path, tables_dir: str | Path, paper_note: str = FIGURE_ONLY,
                      cols: int = 3) -> pd.DataFrame:
    """Plot ``runs`` (dataset -> (offline run, {label: online run})) into ``figures_dir/stem``
    and tabulate them into ``tables_dir/stem``, with a note stating the profile, steps, seeds
    and data; prints the note and returns the formatted table."""
    fig, axes = panel_grid(len(runs), cols=cols, size=(5.5, 3.6))
    table = ScoreTable()
    for ax, (name, (off, online)) in zip(axes, runs.items()):
        off_m = study.metrics(off)
        plot_offline_online(ax, off_m, {label: study.metrics(r) for label, r in online.items()}, name)
        for label, run in online.items():
            table.add(name, label, final_scores(study.metrics(run)), offline=final_scores(off_m))
    fig.tight_layout()
    described = study.describe({n: r[0] for n, r in runs.items()})
    caption(fig, f"{what} at {described}")
    save_figure(fig, Path(figures_dir) / stem)
    note = (f"{what} at {described}. Normalized score at the last online "
            f"evaluation, mean ± std over seeds (δ vs the end of offline training). {paper_note}")
    frame = table.frame()
    save_table(frame, note, tables_dir, stem)
    print(note)
    return frame
