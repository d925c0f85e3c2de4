# %% [markdown]
# # Figs. 8 and 17: a delayed reference policy instead of the frozen π0
#
# **Claim checked** (Sec. 6.5, App. D.2): Q = log π_θ⁻ + R with θ⁻ a Polyak-delayed copy of the online
# policy fails on the medium tasks whatever τ, and the smallest τ (0.0005) does best — consistent
# with ACA's frozen π0 (τ = 0). acalib updates θ⁻ ← (1 − τ) θ⁻ + τ θ after each step (so τ = 0 is
# the frozen π0, as the text says; the figure caption writes the weights the other way round).

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
taus = [0.0005, 0.003, 0.005]

# %%
from pathlib import Path

from acalib.comparison import online_comparison
from acalib.study import Study

study = Study(profile, root, device, seeds, recompute, recompute_stages=recompute_stages)
figures_dir = Path(figures_dir or study.figures_dir)
tables_dir = Path(tables_dir or study.tables_dir)

# %% tags=["runs"]
runs = {}
for name in study.datasets(tuple(levels)):
    off = study.offline("sac_ml", name)
    online = {"π0 frozen (ACA)": study.online("aca", off)}
    online.update({f"τ = {tau}": study.online("aca_delayed_pi", off, reference_tau=tau) for tau in taus})
    runs[name] = off, online

# %%
online_comparison(study, runs, "fig08_delayed_pi", "Delayed reference policy", figures_dir, tables_dir)
