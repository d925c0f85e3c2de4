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

from acalib.plots import caption, plot_curves, save_figure
from acalib.study import Study
from acalib.data.datasets import reload_dataset
from acalib.tables import critic_scale, final_scores

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
fig.tight_layout()
caption(fig, f"Fig. 2 ({study.describe()})")
save_figure(fig, figures_dir / "fig02_actor_only_cql_awac")
fig

# %% [markdown]
# Panel (b) tests AWAC-style updates only if AWAC's offline critic is still a critic of its data. The table
# sets each offline critic's mean Q at its last evaluation beside the largest discounted return-to-go in its
# dataset and the bound r_max / (1 − γ) that no critic of these rewards can pass. At the `claims` profile AWAC's
# critic on hopper-medium is far past it: acalib's AWAC is d3rlpy 1.1's, and
# `results/investigations/awac-hopper-medium/` measures why it diverges (the batch-softmax weights turn one-hot
# as Q grows, the policy leaves the data, the critic's target follows it).

# %%
critic_scale({f"{name} / {label}": (study.metrics(off), reload_dataset(off.config()["dataset"]).transitions,
                                    off.config()["hyperparameters"]["gamma"])
              for (name, label), (off, _) in runs.items()})
