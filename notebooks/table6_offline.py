# %% [markdown]
# # Table 6: SAC+ML against TD3+BC, offline
#
# **Claim checked** (App. C.1): SAC+ML, the offline method ACA starts from, performs comparably to
# TD3+BC, the offline method it modifies (paper: total 971.3 against TD3+BC's 1013.2 over the 15
# D4RL datasets). Normalized score at the last offline evaluation, mean ± std over seeds, for both
# methods trained here, beside the paper's numbers (its TD3+BC column was copied from Fujimoto & Gu, 2021).

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

from acalib import paper
from acalib.study import Study
from acalib.tables import ScoreTable, final_scores, save_table

study = Study(profile, root, device, seeds, recompute, recompute_stages=recompute_stages)
figures_dir = Path(figures_dir or study.figures_dir)
tables_dir = Path(tables_dir or study.tables_dir)

# %% tags=["runs"]
runs = {}
table = ScoreTable()
for name in study.datasets():
    env, level = name.split("-", 1)
    for algo in ("td3_bc", "sac_ml"):
        if reason := study.skip_reason(algo, name):
            print(f"{algo} on {name} not run at profile {study.profile.name!r}: {reason}")
            table.add_missing(name, paper.TABLE6_METHODS[algo], f"not run at {study.profile.name}")
            continue
        runs[f"{name}/{algo}"] = run = study.offline(algo, name)
        table.add(name, paper.TABLE6_METHODS[algo], final_scores(study.metrics(run)))
    reported = paper.TABLE6.get((env, level), {})
    for algo in ("td3_bc", "sac_ml"):
        mean, std = reported.get(algo, (None, None))
        table.add_paper(name, f"{paper.TABLE6_METHODS[algo]} ({paper.TABLE6_SOURCES[algo]})", mean, std=std)

# %%
note = (f"Table 6 at {study.describe(runs)}. Normalized score at the last offline evaluation, mean ± std over "
        f"seeds. 'paper' columns: the paper's Table 6 (D4RL -v2, last evaluation, 5 seeds; TD3+BC as reported by "
        f"Fujimoto & Gu 2021, SAC+ML after 500k gradient steps).")
frame = table.frame()
save_table(frame, note, tables_dir, "table6_offline")
print(note)
frame
