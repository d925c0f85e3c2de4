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
recompute_stages = "all"  # what recompute retrains: "all", or "online" (the offline runs are kept)
figures_dir = None
tables_dir = None
levels = ["medium"]
betas = [3.0, 7.0, 15.0]

# %%
from pathlib import Path

from acalib.algos import ACA_GROUPS, aca_group
from acalib.comparison import online_comparison
from acalib.study import Study

study = Study(profile, root, device, seeds, recompute, recompute_stages=recompute_stages)
figures_dir = Path(figures_dir or study.figures_dir)
tables_dir = Path(tables_dir or study.tables_dir)

# %% tags=["runs"]
runs = {}
for name in study.datasets(tuple(levels)):
    off = study.offline("sac_ml", name)
    default = ACA_GROUPS[aca_group(name)].beta
    runs[name] = off, {f"β = {beta}" + (" (default)" if beta == default else ""): study.online("aca", off, beta=beta)
                       for beta in betas}

# %%
online_comparison(study, runs, "fig19_beta", "β sensitivity", figures_dir, tables_dir,
                  paper_note="The paper shows this as a figure only.")
