# %% [markdown]
# # Fig. 2: actor-only updates with the offline Q of CQL and of AWAC
#
# **Claim checked** (Sec. 4): the drop of Fig. 1b is not special to SAC+ML. With CQL's offline
# Q-function and SAC-style actor and temperature updates (a), and with AWAC's offline Q-function and
# AWAC-style actor updates (b), actor-only updates on out-of-distribution states (the random level's)
# also fall below the offline score; the paper reports a milder drop for the conservative CQL and a
# severe one for AWAC (hopper-medium).

# %% tags=["parameters"]
profile = "smoke"
root = None
device = "cpu"
seeds = None
recompute = False
recompute_stages = "all"  # what recompute retrains: "all", or "online" (the offline runs are kept)
figures_dir = None
tables_dir = None
level = "medium"
ood_level = "random"

# %%
from pathlib import Path

import matplotlib.pyplot as plt

from acalib.plots import plot_curves, save_figure
from acalib.study import Study
from acalib.tables import final_scores

study = Study(profile, root, device, seeds, recompute, recompute_stages=recompute_stages)
figures_dir = Path(figures_dir or study.figures_dir)
METHODS = {"CQL": "cql", "AWAC": "awac"}

# %% tags=["runs"]
runs = {}
for name in study.datasets((level,)):
    env = name.split("-")[0]
    for label, algo in METHODS.items():
        off = study.offline(algo, name)
        runs[(name, label)] = off, study.actor_only(off, f"{env}-{ood_level}", critic="offline")

# %%
datasets = study.datasets((level,))
fig, axes = plt.subplots(len(datasets), len(METHODS), figsize=(5.5 * len(METHODS), 3.6 * len(datasets)),
                         squeeze=False)
for row, name in zip(axes, datasets):
    for ax, (panel, label) in zip(row, zip("ab", METHODS)):
        off, actor_only = runs[(name, label)]
        style = "SAC-style" if label == "CQL" else "AWAC-style"
        plot_curves(ax, {f"actor-only ({style}), {label} Q": study.metrics(actor_only)},
                    f"({panel}) {name}: {label}", "actor-only updates",
                    reference=final_scores(study.metrics(off)).mean())
fig.suptitle(f"Fig. 2 ({study.describe()})", fontsize=9)
fig.tight_layout()
save_figure(fig, figures_dir / "fig02_actor_only_cql_awac")
fig
