# %% [markdown]
# # Figs. 3, 10 and 11: actor-only updates against the offline Q and against the aligned Q
#
# **Claim checked** (Sec. 4.1, App. B.2): after alignment — Q = k·clip_β(log π0) + R with R ← Z —
# actor-only updates on out-of-distribution states keep the offline score (SAC+ML, Fig. 3a/10) or
# lose it much more slowly (CQL with a fitted Z, Fig. 3b/11), where the offline Q-functions let the
# policy fall. Same protocol as Fig. 1b: critic frozen, no data collection, SAC-style actor and
# temperature updates on the random level's states, evaluation as they go.

# %% tags=["parameters"]
profile = "smoke"
root = None
device = "cpu"
seeds = None
recompute = False
recompute_stages = "all"  # what recompute retrains: "all", or "online" (the offline runs are kept)
figures_dir = None
tables_dir = None
levels = ["medium", "expert"]  # offline datasets (paper Fig. 3: hopper-medium; Figs. 10/11: more tasks)
ood_levels = None  # the states' levels; None: the profile's actor_only_ood_levels (random; claims: + medium-replay, expert)

# %%
from pathlib import Path

from acalib.plots import caption, panel_grid, plot_curves, save_figure
from acalib.study import Study
from acalib.tables import ScoreTable, final_scores, save_table

study = Study(profile, root, device, seeds, recompute, recompute_stages=recompute_stages)
figures_dir = Path(figures_dir or study.figures_dir)
tables_dir = Path(tables_dir or study.tables_dir)
# offline method -> (algorithm, overrides): CQL fits Z(s) alongside (paper Sec. 6.3) so it can be aligned
METHODS = {"SAC+ML": ("sac_ml", {}), "CQL": ("cql", {"fit_baseline": True})}

# %% tags=["runs"]
ood_levels = list(ood_levels or study.profile.actor_only_ood_levels)
runs = {}
for name in study.datasets(tuple(levels)):
    env = name.split("-")[0]
    for label, (algo, overrides) in METHODS.items():
        if reason := study.skip_reason(algo, name, **overrides):
            print(f"{label} on {name} not run at profile {study.profile.name!r}: {reason}")
            continue
        off = study.offline(algo, name, **overrides)
        for ood in ood_levels:
            runs[(name, label, ood)] = off, {critic: study.actor_only(off, f"{env}-{ood}", critic=critic)
                                             for critic in ("offline", "aligned")}

# %%
fig, axes = panel_grid(len(runs), cols=len(ood_levels), size=(5.5, 3.6))
table = ScoreTable(index="offline model / states")
for ax, ((name, label, ood), (off, by_critic)) in zip(axes, runs.items()):
    offline_final = final_scores(study.metrics(off))
    plot_curves(ax, {f"{label} Q": study.metrics(by_critic["offline"]),
                     "aligned Q": study.metrics(by_critic["aligned"])},
                f"{name}: {label}, {ood} states", "actor-only updates", reference=offline_final.mean())
    for critic, run in by_critic.items():
        table.add(f"{name} / {label} / {ood}", f"{critic} Q", final_scores(study.metrics(run)), offline=offline_final)
described = (f"Actor-only updates ({study.profile.actor_only_steps} steps on {', '.join(ood_levels)}-level states) at "
             f"{study.describe({str(k): v[0] for k, v in runs.items()})}")
fig.tight_layout()
caption(fig, f"Fig. 3: {described}")
save_figure(fig, figures_dir / "fig03_actor_only_aligned")

note = (f"{described}. Normalized score after the last actor-only "
        f"update, mean ± std over seeds, δ against the same seeds' end of offline training. The paper shows "
        f"these as figures only (no numbers to put beside).")
frame = table.frame(total=False)
save_table(frame, note, tables_dir, "fig03_actor_only_scores")
print(note)
frame
