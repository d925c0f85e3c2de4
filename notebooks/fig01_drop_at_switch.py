# %% [markdown]
# # Fig. 1: the performance drop at the switch to online fine-tuning
#
# **Claim checked** (Sec. 4): starting online SAC from a SAC+ML offline model (policy and Q-function)
# loses much of the offline score right after the switch (a), and the drop is there even without
# collecting data: actor-only SAC updates against the frozen offline Q on out-of-distribution
# states (the random level's) drag the policy down (b). Paper: hopper-medium, SAC+ML → SAC.

# %% tags=["parameters"]
profile = "smoke"
root = None
device = "cpu"
seeds = None
recompute = False
recompute_stages = "all"  # what recompute retrains: "all", or "online" (the offline runs are kept)
figures_dir = None
tables_dir = None
level = "medium"  # the offline dataset's level (paper: hopper-medium)
ood_level = "random"  # the states of the actor-only updates (paper: hopper-random)

# %%
from pathlib import Path

import matplotlib.pyplot as plt

from acalib.plots import caption, plot_curves, plot_offline_online, save_figure
from acalib.study import Study
from acalib.tables import final_scores

study = Study(profile, root, device, seeds, recompute, recompute_stages=recompute_stages)
figures_dir = Path(figures_dir or study.figures_dir)

# %% tags=["runs"]
runs = {}
for name in study.datasets((level,)):
    env = name.split("-")[0]
    off = study.offline("sac_ml", name)
    runs[name] = {"offline": off, "SAC→SAC": study.online("sac", off),
                  "actor-only": study.actor_only(off, f"{env}-{ood_level}", critic="offline")}

# %%
fig, axes = plt.subplots(len(runs), 2, figsize=(11, 3.6 * len(runs)), squeeze=False)
for (name, r), (ax_a, ax_b) in zip(runs.items(), axes):
    offline = study.metrics(r["offline"])
    plot_offline_online(ax_a, offline, {"SAC→SAC": study.metrics(r["SAC→SAC"])}, f"(a) {name}: SAC+ML → SAC")
    plot_curves(ax_b, {"actor-only, SAC+ML Q": study.metrics(r["actor-only"])},
                f"(b) {name}: actor-only on {ood_level} states", "actor-only updates",
                reference=final_scores(offline).mean())
fig.tight_layout()
caption(fig, f"Fig. 1 ({study.describe()})")
save_figure(fig, figures_dir / "fig01_drop_at_switch")
fig
