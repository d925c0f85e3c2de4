# %% [markdown]
# # Figs. 6 and 18: ACA and BR from different offline methods
#
# **Claim checked** (Sec. 6.3, App. D.3): ACA works from either offline method — from SAC+ML, and from
# CQL with a fitted Z(s) (log π0 clipped at 0 in the Z fit) — with similar results, whereas Balanced
# Replay needs its CQL ensemble: started from an ensemble of SAC+ML agents it drops sharply on hopper
# and walker2d. Paper: the medium level (Fig. 6: hopper; Fig. 18: halfcheetah and walker2d).

# %% tags=["parameters"]
profile = "smoke"
root = None
device = "cpu"
seeds = None
recompute = False
recompute_stages = "all"  # what recompute retrains: "all", or "online" (the offline runs are kept)
figures_dir = None
tables_dir = None
levels = ["medium"]

# %%
from pathlib import Path

import matplotlib.pyplot as plt

from acalib.plots import empty_panel, plot_offline_online, save_figure
from acalib.study import Study
from acalib.tables import ScoreTable, final_scores, save_table

study = Study(profile, root, device, seeds, recompute, recompute_stages=recompute_stages)
figures_dir = Path(figures_dir or study.figures_dir)
tables_dir = Path(tables_dir or study.tables_dir)
# panel -> {label: (offline algorithm, offline overrides, online algorithm)}
PANELS = {
    "ACA": {"SAC+ML→ACA": ("sac_ml", {}, "aca"), "CQL→ACA": ("cql", {"fit_baseline": True}, "aca")},
    "BR": {"CQL→BR": ("cql_ensemble", {}, "br"), "SAC+ML→BR": ("sac_ml_ensemble", {}, "br")},
}

# %% tags=["runs"]
runs = {}
for name in study.datasets(tuple(levels)):
    for panel, methods in PANELS.items():
        for label, (off_algo, overrides, on_algo) in methods.items():
            reason = study.skip_reason(off_algo, name, **overrides) or study.skip_reason(on_algo, name)
            if reason:
                print(f"{label} on {name} not run at profile {study.profile.name!r}: {reason}")
                continue
            off = study.offline(off_algo, name, **overrides)
            runs[(name, panel, label)] = off, study.online(on_algo, off)

# %%
datasets = study.datasets(tuple(levels))
fig, axes = plt.subplots(len(datasets), len(PANELS), figsize=(5.5 * len(PANELS), 3.6 * len(datasets)),
                         squeeze=False)
table = ScoreTable()
for row, name in zip(axes, datasets):
    for ax, (panel, methods) in zip(row, PANELS.items()):
        present = [label for label in methods if (name, panel, label) in runs]
        for label in methods:
            if label not in present:
                table.add_missing(name, label, f"not run at {study.profile.name}")
        if not present:
            empty_panel(ax, f"{name}: {panel}", f"not run at profile {study.profile.name}")
            continue
        offline = {f"{label.split('→')[0]} (offline)": study.metrics(runs[(name, panel, label)][0]) for label in present}
        online = {label: study.metrics(runs[(name, panel, label)][1]) for label in present}
        plot_offline_online(ax, offline, online, f"{name}: {panel}")
        for label in present:
            off, on = runs[(name, panel, label)]
            table.add(name, label, final_scores(study.metrics(on)), offline=final_scores(study.metrics(off)))
fig.tight_layout()
save_figure(fig, figures_dir / "fig06_initialisation")

note = (f"Different initialisations at {study.describe({str(k): v[0] for k, v in runs.items()})}. Normalized score "
        f"at the last online evaluation, mean ± std over seeds (δ vs the end of offline training; for the ensembles "
        f"the offline score is the one their offline run reports). The paper shows these as figures only.")
frame = table.frame()
save_table(frame, note, tables_dir, "fig06_initialisation")
print(note)
frame
