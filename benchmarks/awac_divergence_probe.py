"""Diagnostic (investigating the claims profile's AWAC hopper-medium run, whose critic diverges; not a claims run):
train AWAC offline on one seed, eagerly, and every ``--every`` steps print what a diverging AWAC critic would show
first: Q at the data actions, at the policy's mean action and at uniform actions, the fraction of the target's
next-action components clamped at +-1, the policy's log sigma, the squared distance between the policy's mean
and the data actions, and the update's own statistics (the largest softmax weight: B means one sample per batch).

usage: python benchmarks/awac_divergence_probe.py STEPS [--every 1000] [--batch-size 256] [--actor-weight-decay 1e-4]
       [--lam 1.0] [--dataset hopper-medium]

The defaults are the claims profile's AWAC (acalib's ``AWACConfig``); the options exist to test named explanations
of the divergence (d3rlpy's own batch of 1024, the paper's Table 11 weight decay of 0), never to retune a claims run.
"""
import argparse
import time

import numpy as np
import torch

from acalib.algos.awac import AWAC, AWACConfig
from acalib.data.buffers import ReplayBuffer
from acalib.data.datasets import load_dataset

parser = argparse.ArgumentParser()
parser.add_argument("steps", type=int)
parser.add_argument("--every", type=int, default=1000)
parser.add_argument("--batch-size", type=int, default=AWACConfig.batch_size)
parser.add_argument("--actor-weight-decay", type=float, default=AWACConfig.actor_weight_decay)
parser.add_argument("--lam", type=float, default=AWACConfig.lam)
parser.add_argument("--dataset", default="hopper-medium")
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()
torch.set_num_threads(1)

config = AWACConfig(batch_size=args.batch_size, actor_weight_decay=args.actor_weight_decay, lam=args.lam)
transitions = load_dataset(args.dataset).transitions
agent = AWAC(config, transitions.observations.shape[1], transitions.actions.shape[1], [args.seed])
data = ReplayBuffer.from_transitions(transitions, agent.runs)
print(f"{args.dataset}: reward mean {transitions.rewards.mean():.3f}; {vars(args)}", flush=True)


@torch.no_grad()
def report(step: int, batch, stats: dict, elapsed: float) -> None:
    mean, log_std = agent.actor.distribution(batch.obs)
    next_action, _ = agent.next_sample(batch.next_obs, agent.noise(batch.obs.shape[1]))
    q = {name: agent.critic(batch.obs, actions).min(dim=1).values.mean().item()
         for name, actions in (("data", batch.actions), ("pi", mean), ("uniform", torch.rand_like(mean) * 2 - 1))}
    row = {"step": step, "t_s": round(elapsed), "Q_data": q["data"], "Q_pi": q["pi"], "Q_uniform": q["uniform"],
           "clamped_next": (next_action.abs() >= 1.0).float().mean().item(), "log_std": log_std.mean().item(),
           "mean_to_data_mse": ((mean - batch.actions) ** 2).mean().item(),
           **{k: float(v.mean()) for k, v in stats.items() if k in ("critic_loss", "advantage", "weight_max")}}
    print("  ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items()), flush=True)


start, stats = time.perf_counter(), {}
for step in range(args.steps + 1):
    batch = data.sample(config.batch_size, agent.data_generators)
    if step % args.every == 0:
        report(step, batch, stats, time.perf_counter() - start)
    if step == args.steps:
        break
    stats = agent.update(batch)
