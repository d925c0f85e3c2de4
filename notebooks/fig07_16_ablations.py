# %% [markdown]
# # Figs. 7 and 16: is it the alignment, or just behaviour cloning?
#
# **Claim checked** (Sec. 6.5, App. D.1): two alternatives keep ACA's actor update (with the
# log π0 term) but change the critic — BC only (Eq. 23–24: R ← offline Q, trained as a plain SAC
# critic) and R init by Q (Eq. 25–26: ACA's aligned critic with R ← offline Q instead of Z). Both drop
# after the switch on the tasks vulnerable to transfer (hopper- and walker2d-medium) where ACA does
# not; on halfcheetah-medium they stay competitive. Paper: the medium level of each environment.

# %% tags=["parameters"]
profile = "smoke"
root = None
device = "cpu"
seeds = None
recompute = False
figures_dir = None
tables_dir = None
levels = ["medium"]

# %%
from pathlib import Path

from acalib.plots import panel_grid, plot_offline_online, save_figure
from acalib.study import Study
from acalib.tables import ScoreTable, final_scores, save_table

study = Study(profile, root, device, seeds, recompute)
figures_dir = Path(figures_dir or study.figures_dir)
tables_dir = Path(tables_dir or study.tables_dir)
METHODS = {"SAC→ACA": "aca", "BC only": "aca_bc_only", "R init by Q": "aca_r_init_q"}

# %%
runs = {}
for name in study.datasets(tuple(levels)):
    off = study.offline("sac_ml", name)
    runs[name] = off, {label: study.online(algo, off) for label, algo in METHODS.items()}

# %%
fig, axes = panel_grid(len(runs), cols=3, size=(5.5, 3.6))
table = ScoreTable()
for ax, (name, (off, online)) in zip(axes, runs.items()):
    off_m = study.metrics(off)
    plot_offline_online(ax, off_m, {label: study.metrics(r) for label, r in online.items()}, name)
    for label, run in online.items():
        table.add(name, label, final_scores(study.metrics(run)), offline=final_scores(off_m))
fig.tight_layout()
save_figure(fig, figures_dir / "fig07_ablations")

note = (f"Ablations at {study.describe({n: r[0] for n, r in runs.items()})}. Normalized score at the last online "
        f"evaluation, mean ± std over seeds (δ vs the end of offline training). The paper shows these as figures "
        f"only.")
frame = table.frame()
save_table(frame, note, tables_dir, "fig07_ablations")
print(note)
frame
