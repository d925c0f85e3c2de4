# %% [markdown]
# # Figs. 14 and 15: SAC→SAC and CQL→SAC with a critic-only burn-in
#
# **Claim checked** (App. C.5): letting the agent interact and train only its critic for a burn-in
# period (paper: 50k steps) before fine-tuning does not remove the drop after the switch, because
# the obstacle is the distribution shift, not the critic's Bellman error on the offline data.

# %% tags=["parameters"]
profile = "smoke"
root = None
device = "cpu"
seeds = None
recompute = False
recompute_stages = "all"  # what recompute retrains: "all", or "online" (the offline runs are kept)
figures_dir = None
tables_dir = None
levels = None  # None: the profile's levels

# %%
from pathlib import Path

import matplotlib.pyplot as plt

from acalib.plots import empty_panel, plot_offline_online, save_figure
from acalib.study import Study
from acalib.tables import ScoreTable, final_scores, save_table

study = Study(profile, root, device, seeds, recompute, recompute_stages=recompute_stages)
figures_dir = Path(figures_dir or study.figures_dir)
tables_dir = Path(tables_dir or study.tables_dir)
burn_in = study.profile.burn_in_steps
OFFLINE = {"SAC→SAC": "sac_ml", "CQL→SAC": "cql"}
OFFLINE_LABELS = {"sac_ml": "SAC+ML", "cql": "CQL"}

# %% tags=["runs"]
runs = {}
for name in study.datasets(tuple(levels) if levels else None):
    for label, algo in OFFLINE.items():
        if reason := study.skip_reason(algo, name):
            print(f"{label} on {name} not run at profile {study.profile.name!r}: {reason}")
            continue
        off = study.offline(algo, name)
        runs[(name, label)] = off, {label: study.online("sac", off),
                                    f"{label}, {burn_in} burn-in steps": study.online("sac_burn_in", off,
                                                                                      burn_in_steps=burn_in)}

# %%
datasets = study.datasets(tuple(levels) if levels else None)
fig, axes = plt.subplots(len(datasets), 2, figsize=(11, 3.6 * len(datasets)), squeeze=False)
table = ScoreTable()
for row, name in zip(axes, datasets):
    for ax, (fig_no, label) in zip(row, zip((14, 15), OFFLINE)):
        if (name, label) not in runs:
            empty_panel(ax, f"Fig. {fig_no}: {name}", f"{label} not run at profile {study.profile.name}")
            continue
        off, online = runs[(name, label)]
        off_m = study.metrics(off)
        plot_offline_online(ax, off_m, {k: study.metrics(r) for k, r in online.items()},
                            f"Fig. {fig_no}: {name}", offline_label=f"{OFFLINE_LABELS[OFFLINE[label]]} (offline)")
        for k, run in online.items():
            table.add(name, k, final_scores(study.metrics(run)), offline=final_scores(off_m))
fig.tight_layout()
save_figure(fig, figures_dir / "fig14_15_burn_in")

note = (f"Burn-in ({burn_in} critic-only online steps, counted within the online steps) at "
        f"{study.describe({str(k): v[0] for k, v in runs.items()})}. Normalized score at the last online "
        f"evaluation, mean ± std over seeds (δ vs the end of offline training). The paper shows these as figures only.")
frame = table.frame()
save_table(frame, note, tables_dir, "fig14_15_burn_in")
print(note)
frame
