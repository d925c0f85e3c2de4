# %% [markdown]
# # Table 7: SAC→ACA after a long online phase, beside AWAC
#
# **Claim checked** (App. C.2): with 500k online steps SAC→ACA keeps improving and its total gain
# over the end of offline training (δ) is at least AWAC's (paper: 356.53 against 352.7; the AWAC
# numbers are Nair et al.'s, copied by the paper). acalib runs both: AWAC offline → AWAC online with
# every offline transition in the buffer, and SAC+ML → ACA, for `profile.awac_online_steps` steps.

# %% tags=["parameters"]
profile = "smoke"
root = None
device = "cpu"
seeds = None
recompute = False
recompute_stages = "all"  # what recompute retrains: "all", or "online" (the offline runs are kept)
figures_dir = None
tables_dir = None
levels = None  # None: the profile's levels that the paper's Table 7 has

# %%
from pathlib import Path

from acalib import paper
from acalib.plots import panel_grid, plot_offline_online, save_figure
from acalib.study import Study
from acalib.tables import ScoreTable, final_scores, save_table

study = Study(profile, root, device, seeds, recompute, recompute_stages=recompute_stages)
figures_dir = Path(figures_dir or study.figures_dir)
tables_dir = Path(tables_dir or study.tables_dir)
steps = study.profile.awac_online_steps
levels = levels or [lv for lv in study.profile.levels if lv in paper.TABLE7_LEVELS]

# %% tags=["runs"]
runs = {}
for name in study.datasets(tuple(levels)):
    sac_ml, awac = study.offline("sac_ml", name), study.offline("awac", name)
    runs[name] = ({"SAC+ML": sac_ml, "AWAC": awac},
                  {"SAC→ACA": study.online("aca", sac_ml, steps=steps), "AWAC": study.online("awac", awac, steps=steps)})

# %%
fig, axes = panel_grid(len(runs), cols=3, size=(5.5, 3.6))
table = ScoreTable()
for ax, (name, (offline, online)) in zip(axes, runs.items()):
    env, level = name.split("-", 1)
    plot_offline_online(ax, {f"{k} (offline)": study.metrics(r) for k, r in offline.items()},
                        {k: study.metrics(r) for k, r in online.items()}, name)
    table.add(name, "AWAC", final_scores(study.metrics(online["AWAC"])),
              offline=final_scores(study.metrics(offline["AWAC"])))
    table.add(name, "SAC→ACA", final_scores(study.metrics(online["SAC→ACA"])),
              offline=final_scores(study.metrics(offline["SAC+ML"])))
    ref = paper.TABLE7.get((env, level))
    if ref:
        off, on, delta = ref["awac"]
        table.add_paper(name, "AWAC (Nair et al. 2020, paper)", on, delta)
        off, on, std, delta = ref["aca"]
        table.add_paper(name, "SAC→ACA (paper)", on, delta, std)
    else:
        table.add_missing(name, "AWAC (Nair et al. 2020, paper)")
        table.add_missing(name, "SAC→ACA (paper)")
fig.tight_layout()
save_figure(fig, figures_dir / "table7_awac_curves")

note = (f"Table 7 at {study.describe({n: r[0]['SAC+ML'] for n, r in runs.items()})}, but {steps} online steps. "
        f"Normalized score at the last online evaluation, mean ± std over seeds (δ vs the same method's end of "
        f"offline training). '(paper)': the paper's Table 7 (500k online steps; AWAC copied from Nair et al. 2020).")
frame = table.frame()
save_table(frame, note, tables_dir, "table7_awac_500k")
print(note)
frame
