# %% [markdown]
# # Fig. 19: sensitivity of SAC→ACA to the clipping width β
#
# **Claim checked** (App. D.4): SAC→ACA's online performance is not very sensitive to β, the width
# (in standard deviations of π0) below which log π0 is softly clipped (Eq. 12–14). Each curve is ACA
# from the same SAC+ML run with one β; the group's default β is marked.

# %% tags=["parameters"]
profile = "smoke"
root = None
device = "cpu"
seeds = None
recompute = False
figures_dir = None
tables_dir = None
levels = ["medium"]
betas = [3.0, 7.0, 15.0]

# %%
from pathlib import Path

from acalib.algos import ACA_GROUPS, aca_group
from acalib.plots import panel_grid, plot_offline_online, save_figure
from acalib.study import Study
from acalib.tables import ScoreTable, final_scores, save_table

study = Study(profile, root, device, seeds, recompute)
figures_dir = Path(figures_dir or study.figures_dir)
tables_dir = Path(tables_dir or study.tables_dir)

# %%
runs = {}
for name in study.datasets(tuple(levels)):
    off = study.offline("sac_ml", name)
    default = ACA_GROUPS[aca_group(name)].beta
    runs[name] = off, {f"β = {beta}" + (" (default)" if beta == default else ""): study.online("aca", off, beta=beta)
                       for beta in betas}

# %%
fig, axes = panel_grid(len(runs), cols=3, size=(5.5, 3.6))
table = ScoreTable()
for ax, (name, (off, online)) in zip(axes, runs.items()):
    off_m = study.metrics(off)
    plot_offline_online(ax, off_m, {label: study.metrics(r) for label, r in online.items()}, name)
    for label, run in online.items():
        table.add(name, label, final_scores(study.metrics(run)), offline=final_scores(off_m))
fig.tight_layout()
save_figure(fig, figures_dir / "fig19_beta")

note = (f"β sensitivity at {study.describe({n: r[0] for n, r in runs.items()})}. Normalized score at the last "
        f"online evaluation, mean ± std over seeds (δ vs the end of offline training). The paper shows this as a "
        f"figure only.")
frame = table.frame()
save_table(frame, note, tables_dir, "fig19_beta")
print(note)
frame
