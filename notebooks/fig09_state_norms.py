# %% [markdown]
# # Fig. 9: L2 norm of the states of the random, medium and expert datasets
#
# **Claim checked** (App. B.1): the random, medium and expert datasets of an environment visit
# states of clearly different norms, a distribution shift; this is why the actor-only experiments
# (Figs. 1b, 2, 3) can take out-of-distribution states from another dataset. One panel per
# environment of the profile: overlaid histograms of ‖s‖₂ over every state of each level. A level
# that cannot be built here (no behaviour-policy zoo for that environment yet) is left out with a
# note, never replaced by something else.

# %% tags=["parameters"]
profile = "smoke"
root = None
device = "cpu"
seeds = None
recompute = False
recompute_stages = "all"  # what recompute retrains: "all", or "online" (the offline runs are kept)
figures_dir = None
tables_dir = None

# %%
from pathlib import Path

from acalib.data.datasets import dataset_identity, state_norms
from acalib.plots import panel_grid, plot_state_norms, save_figure
from acalib.study import Study

study = Study(profile, root, device, seeds, recompute, recompute_stages=recompute_stages)
figures_dir = Path(figures_dir or study.figures_dir)
tables_dir = Path(tables_dir or study.tables_dir)
size = study.profile.dataset_size  # transitions per generated level (None: 1M, as D4RL)

# %%
norms = {env: {} for env in study.profile.envs}
left_out = {env: [] for env in study.profile.envs}
sources = {}
# every profile's three levels (claims too: only datasets are built here); tiny: its one level only
for name in study.datasets(("random", "medium", "expert"), limit=False, restrict=False):
    env, level = name.split("-", 1)
    try:
        norms[env][level] = state_norms([name], size=size)[name]
    except FileNotFoundError as err:  # the dataset factory needs this environment's zoo
        print(f"{name}: left out, cannot be built here: {err}")
        left_out[env].append(level)
        continue
    sources[name] = dataset_identity(name, size=size)["source"]
    print(f"{name}: {len(norms[env][level])} states, source {sources[name]}")

# %%
fig, axes = panel_grid(len(norms), cols=3, size=(5.0, 3.4))
for ax, (env, by_level) in zip(axes, norms.items()):
    missing = f"\nleft out (no zoo): {', '.join(left_out[env])}" if left_out[env] else ""
    plot_state_norms(ax, by_level, f"{env} ({study.profile.name}: {size or 'full-size'} transitions per level){missing}")
fig.tight_layout()
save_figure(fig, figures_dir / "fig09_state_norms")
fig
