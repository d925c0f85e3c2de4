"""Diagnostics (investigating ACA's collapse after the switch; not a claims-profile run): how much an offline
policy's score falls when its deterministic action tanh(mu) is perturbed a little. Evaluates a finished SAC+ML
run's policy (every seed, ``--episodes`` episodes) with actions clip(tanh(mu) + sigma * N(0, 1), -1, 1) for each
``--sigma``, and with actions shifted by a fixed +-sigma per dimension (signs drawn once per seed), the size of
move the aligned critic's actor makes on dataset states in the first 6k online steps (0.02-0.06 per dimension,
``results/investigations/aca-from-200k/``).

usage: python benchmarks/policy_fragility.py RUN_DIR OUT.csv [--sigma 0.02 0.05 0.1] [--episodes 5]
"""
import argparse

import numpy as np
import pandas as pd
import torch

from acalib.data.datasets import reload_dataset
from acalib.envs import normalized_score
from acalib.experiment import load_offline_agent
from acalib.train.evaluate import Evaluator

parser = argparse.ArgumentParser()
parser.add_argument("run"), parser.add_argument("out")
parser.add_argument("--sigma", type=float, nargs="+", default=[0.02, 0.05, 0.1])
parser.add_argument("--episodes", type=int, default=5)
args = parser.parse_args()
torch.set_num_threads(1)

agent, cfg = load_offline_agent(args.run, "cpu")
ds = reload_dataset(cfg["dataset"])


class Perturbed:
    """``agent``'s deterministic action, perturbed: Gaussian noise of ``sigma`` drawn every step, or a fixed
    shift of +-``sigma`` per dimension (``fixed``)."""

    def __init__(self, sigma: float, fixed: bool, seed: int):
        self.sigma, self.fixed, self.device = sigma, fixed, agent.device
        self.rng = np.random.default_rng(seed)
        self.signs = self.rng.choice([-1.0, 1.0], size=(agent.runs, 1, agent.act_dim))

    def act(self, obs, deterministic=True):
        action = agent.act(obs, deterministic=True).numpy()
        step = self.signs if self.fixed else self.rng.standard_normal(action.shape)
        return torch.as_tensor(np.clip(action + self.sigma * step, -1.0, 1.0), dtype=torch.float32)


rows = []
for kind, sigma in [("none", 0.0)] + [(k, s) for s in args.sigma for k in ("noise", "shift")]:
    evaluator = Evaluator(ds.env, cfg["seeds"], args.episodes)  # the same reset seeds for every condition
    policy = agent if kind == "none" else Perturbed(sigma, kind == "shift", seed=1)
    returns = evaluator(policy)
    evaluator.close()
    for i, seed in enumerate(cfg["seeds"]):
        rows.append({"perturbation": kind, "sigma": sigma, "seed": seed,
                     "normalized_score": float(normalized_score(returns[i].mean(), ds.ref_min, ds.ref_max))})
    print(kind, sigma, np.round([r["normalized_score"] for r in rows[-len(cfg["seeds"]):]], 1), flush=True)
frame = pd.DataFrame(rows)
frame.to_csv(args.out, index=False)
print(frame.pivot_table(index=["perturbation", "sigma"], columns="seed", values="normalized_score")
      .assign(mean=lambda f: f.mean(axis=1)).round(1).to_string())
