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
recompute_stages = "all"  # what recompute retrains: "all", or "online" (the offline runs are kept)
figures_dir = None
tables_dir = None
levels = ["medium"]

# %%
from pathlib import Path

from acalib.comparison import online_comparison
from acalib.study import Study

study = Study(profile, root, device, seeds, recompute, recompute_stages=recompute_stages)
figures_dir = Path(figures_dir or study.figures_dir)
tables_dir = Path(tables_dir or study.tables_dir)
METHODS = {"SAC→ACA": "aca", "BC only": "aca_bc_only", "R init by Q": "aca_r_init_q"}

# %% tags=["runs"]
runs = {}
for name in study.datasets(tuple(levels)):
    off = study.offline("sac_ml", name)
    runs[name] = off, {label: study.online(algo, off) for label, algo in METHODS.items()}

# %%
online_comparison(study, runs, "fig07_ablations", "Ablations", figures_dir, tables_dir)
