# %% [markdown]
# # Figs. 4, 20 and 21: the offline Q against the aligned Q along perturbed actions
#
# **Claim checked** (Sec. 4.1, App. F.1): the offline Q-function often prefers actions the policy
# does not take — for a state s, moving one action dimension away from π(s) raises Q(s, a) above
# Q(s, π(s)) ("over-estimated" perturbations) — even in distribution and more so out of distribution;
# the aligned Q (k·clip_β(log π0) + Z at the switch) agrees with the policy. Fig. 4 shows single
# states, Fig. 21 the fraction of over-estimated perturbations over many (paper: SAC+ML on
# hopper-medium; in-distribution states from hopper-medium, out-of-distribution from hopper-random;
# 200 states per seed).

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

# %% tags=["runs"]
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from acalib.plots import caption, save_figure
from acalib.probes import overestimated_fraction
from acalib.study import Study
from acalib.tables import ScoreTable, save_table

study = Study(profile, root, device, seeds, recompute, recompute_stages=recompute_stages)
figures_dir = Path(figures_dir or study.figures_dir)
tables_dir = Path(tables_dir or study.tables_dir)

probes = {}
for name in study.datasets((level,)):
    off = study.offline("sac_ml", name)
    probes[name] = study.q_probe(off, f"{name.split('-')[0]}-{ood_level}")

# %% [markdown]
# Fig. 4: one in-distribution and one out-of-distribution state (the first of the first seed), each
# action dimension swept over [−1, 1]; y is Q(s, a) − Q(s, π(s)), x is a_i − π(s)_i, so the policy's
# action sits at the origin and a point above zero is a perturbation the critic prefers.

# %%
name, frame = next(iter(probes.items()))
one = frame[(frame["seed"] == frame["seed"].min()) & (frame["state"] == 0)]
dims = sorted(one["dim"].unique())
fig, axes = plt.subplots(2, len(dims), figsize=(3.2 * len(dims), 5.6), squeeze=False)
for row, states in zip(axes, ("in-distribution", "out-of-distribution")):
    for ax, dim in zip(row, dims):
        for q_name, color in (("offline Q", "tab:blue"), ("aligned Q", "tab:orange")):
            d = one[(one["states"] == states) & (one["dim"] == dim) & (one["q"] == q_name)]
            ax.plot(d["x"], d["y"], color=color, label=q_name)
        ax.axhline(0, color="grey", lw=0.8)
        ax.axvline(0, color="grey", lw=0.8, ls="--")
        ax.set_title(f"{states}, action dim {dim}", fontsize=9)
        ax.set_xlabel("a_i − π(s)_i")
axes[0][0].set_ylabel("Q(s,a) − Q(s,π(s))")
axes[1][0].set_ylabel("Q(s,a) − Q(s,π(s))")
axes[0][0].legend(fontsize=8)
fig.tight_layout()
caption(fig, f"Fig. 4: {name}, SAC+ML ({study.describe()})")
save_figure(fig, figures_dir / "fig04_q_probe_states")
fig

# %% [markdown]
# Fig. 21: the fraction of perturbations with Q(s, a) > Q(s, π(s)), per seed, over
# `profile.probe_states` states per seed.

# %%
fractions = pd.concat([overestimated_fraction(f).assign(dataset=n) for n, f in probes.items()])
fig, ax = plt.subplots(figsize=(6, 3.6))
sns.barplot(fractions, x="states", y="overestimated", hue="q", errorbar="sd", ax=ax)
ax.set_ylabel("fraction over-estimated")
ax.set_title(f"Fig. 21: {', '.join(probes)}", fontsize=9)
save_figure(fig, figures_dir / "fig21_overestimated_fraction")

table = ScoreTable(index="dataset / states", digits=3)
for (dataset, states, q_name), group in fractions.groupby(["dataset", "states", "q"]):
    table.add(f"{dataset} / {states}", q_name, group.set_index("seed")["overestimated"])
note = (f"Fraction of over-estimated perturbations (Fig. 20/21), {study.profile.probe_states} states per seed, "
        f"41 points per action dimension, SAC+ML at {study.describe()}; mean ± std over seeds. "
        f"The paper shows this as a figure only.")
frame = table.frame(total=False)
save_table(frame, note, tables_dir, "fig21_overestimated_fraction")
print(note)
frame
