# %% [markdown]
# # Table 4 and Fig. 13: fine-tuning without the offline data
#
# **Claim checked** (App. C.4): when the offline data cannot be kept, SAC→ACA starts online with an
# empty buffer (no top-N seeding, β × 1.5 on medium-replay, medium-expert and expert) and does about
# as well as with the data (paper totals 841.84 without vs 844.98 with), while the baselines that
# rely on the offline transitions in their buffer (SAC→SAC, CQL→SAC) suffer more (Fig. 13).

# %% tags=["parameters"]
profile = "smoke"
root = None
device = "cpu"
seeds = None
recompute = False
recompute_stages = "all"  # what recompute retrains: "all", or "online" (the offline runs are kept)
figures_dir = None
tables_dir = None
levels = ["medium-replay", "medium-expert", "expert"]

# %%
from pathlib import Path

from acalib import paper
from acalib.plots import panel_grid, plot_offline_online, save_figure
from acalib.study import Study
from acalib.tables import ScoreTable, final_scores, save_table

study = Study(profile, root, device, seeds, recompute, recompute_stages=recompute_stages)
figures_dir = Path(figures_dir or study.figures_dir)
tables_dir = Path(tables_dir or study.tables_dir)
# label -> (offline algorithm, online algorithm, with the offline data?)
METHODS = {"SAC→ACA": ("sac_ml", "aca", True), "SAC→ACA w/o data": ("sac_ml", "aca", False),
           "SAC→SAC w/o data": ("sac_ml", "sac", False), "CQL→SAC w/o data": ("cql", "sac", False)}
OFFLINE_LABELS = {"sac_ml": "SAC+ML", "cql": "CQL"}

# %% tags=["runs"]
runs = {}
skipped = {}
for name in study.datasets(tuple(levels)):
    offline = {algo: study.offline(algo, name) for algo in OFFLINE_LABELS
               if not study.skip_reason(algo, name)}
    skipped.update({(name, label): study.skip_reason(off, name) for label, (off, _, _) in METHODS.items()
                    if off not in offline})
    runs[name] = offline, {label: study.online(on, offline[off], offline_data=with_data)
                           for label, (off, on, with_data) in METHODS.items() if off in offline}
for (name, label), reason in skipped.items():
    print(f"{label} on {name} not run at profile {study.profile.name!r}: {reason}")

# %%
fig, axes = panel_grid(len(runs), cols=3, size=(5.5, 3.6))
table = ScoreTable()
for ax, (name, (offline, online)) in zip(axes, runs.items()):
    env, level = name.split("-", 1)
    plot_offline_online(ax, {f"{OFFLINE_LABELS[algo]} (offline)": study.metrics(run) for algo, run in offline.items()},
                        {label: study.metrics(r) for label, r in online.items()}, name)
    for label in METHODS:
        if label in online:
            table.add(name, label, final_scores(study.metrics(online[label])),
                      offline=final_scores(study.metrics(offline[METHODS[label][0]])))
        else:
            table.add_missing(name, label, f"not run at {study.profile.name}")
    ref = paper.TABLE4.get((env, level), {})
    table.add_paper(name, "SAC→ACA (paper)", *ref.get("with", (None, None)))
    table.add_paper(name, "SAC→ACA w/o data (paper)", *ref.get("without", (None, None)))
fig.tight_layout()
save_figure(fig, figures_dir / "fig13_no_offline_data")

note = (f"Table 4 at {study.describe({n: r[0]['sac_ml'] for n, r in runs.items()})}. Normalized score at the last "
        f"online evaluation, mean ± std over seeds (δ vs the end of offline training). '(paper)': the paper's "
        f"Table 4 (D4RL -v2, 500k offline + 100k online steps, 5 seeds).")
frame = table.frame()
save_table(frame, note, tables_dir, "table4_no_offline_data")
print(note)
frame
