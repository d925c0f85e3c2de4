"""Diagnostic (investigating ACA's collapse after the switch; not a claims-profile run): keep fitting the Z(s)
baseline of a finished SAC+ML checkpoint with everything else frozen (policy, critics, alpha), by the same
Eq. (8)-(9) step the offline run took, and save the checkpoint with the refitted Z. It asks whether the Z that
the switch starts from (R <- Z) was still far from its fixed point under the final policy.

Every ``--every`` steps it prints, per seed, Z's mean on a fixed batch of dataset states and the mean Bellman
residual y_Z - (log pi(a|s) + Z(s)) on a fresh batch, against min_j Z_j (as the target uses it) and against each
Z_i (what each network is regressed on), and the gap between the two networks' mean and their minimum.

usage: python benchmarks/refit_baseline.py CKPT OUT.pt STEPS [--every 5000] [--dataset hopper-medium]
"""
import argparse

import numpy as np
import torch

from acalib import losses
from acalib.algos import SACML, SACMLConfig
from acalib.algos.sac_ml import baseline_step
from acalib.checkpoint import load_checkpoint, save_checkpoint
from acalib.data.buffers import ReplayBuffer
from acalib.data.datasets import load_dataset

parser = argparse.ArgumentParser()
parser.add_argument("ckpt"), parser.add_argument("out"), parser.add_argument("steps", type=int)
parser.add_argument("--every", type=int, default=5000)
parser.add_argument("--dataset", default="hopper-medium")
args = parser.parse_args()
torch.set_num_threads(1)

saved = load_checkpoint(args.ckpt)
state = saved["agent"]
agent = SACML(SACMLConfig.from_dict(state["config"]), state["obs_dim"], state["act_dim"], state["seeds"])
agent.load_state(state)
transitions = load_dataset(args.dataset).transitions
data = ReplayBuffer.from_transitions(transitions, agent.runs)
idx = np.random.default_rng(0).choice(len(transitions), 4096)
probe = torch.as_tensor(transitions.observations[idx], dtype=torch.float32).expand(agent.runs, -1, -1)
alpha = agent.alpha.detach()


@torch.no_grad()
def report(step: int, batch) -> None:
    mean, log_std, _, _ = agent.sample_policy(batch.obs, agent.noise(batch.obs.shape[1]))
    log_pi_data = agent.actor.log_prob_under(mean, log_std, batch.actions)
    _, next_log_pi = agent.next_sample(batch.next_obs, agent.noise(batch.obs.shape[1]))
    target = losses.sac_ml.baseline_target(batch.rewards, batch.terminals, next_log_pi, agent.baseline(batch.next_obs),
                                           alpha, agent.config.gamma, agent.config.z_target)
    z_each = agent.baseline(batch.obs)  # (R, n, B)
    residual = (target - log_pi_data - z_each.min(dim=1).values).mean(-1)
    residual_each = (target.unsqueeze(1) - log_pi_data.unsqueeze(1) - z_each).mean((-2, -1))
    gap = (z_each.mean(dim=1) - z_each.min(dim=1).values).mean(-1)
    z = agent.baseline(probe).min(dim=1).values.mean(-1)
    print(step, "Z", np.round(z.numpy(), 1), "residual vs min_j Z_j", np.round(residual.numpy(), 2),
          "vs each Z_i", np.round(residual_each.numpy(), 2), "mean_i Z_i - min_j Z_j", np.round(gap.numpy(), 2),
          flush=True)


for step in range(args.steps + 1):
    batch = data.sample(agent.config.batch_size, agent.data_generators)
    if step % args.every == 0:
        report(step, batch)
    if step == args.steps:
        break
    with torch.no_grad():
        mean, log_std, _, _ = agent.sample_policy(batch.obs, agent.noise(batch.obs.shape[1]))
        log_pi_data = agent.actor.log_prob_under(mean, log_std, batch.actions)
        _, next_log_pi = agent.next_sample(batch.next_obs, agent.noise(batch.obs.shape[1]))
    baseline_step(agent, batch, log_pi_data, next_log_pi, alpha)
save_checkpoint(args.out, {**saved, "agent": agent.state()})
