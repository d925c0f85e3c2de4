"""Diagnostics (investigating ACA's collapse after the switch; not a claims-profile run): ACA online from a
SAC+ML checkpoint, recording every ``--every`` steps, on a fixed batch of dataset states, what the aligned critic
is made of: R(s, a) and k clip(log pi0(a|s)) at the dataset actions and at the policy's own samples, with the
policy's entropy, alpha and k, how far the deterministic action tanh(mu) has moved from pi0's (mean absolute
difference per action dimension), the share of saturated deterministic actions (|tanh mu| > 0.95) of the policy
and of pi0, both policies' mean log sigma; on the last 2048 states the online policy visited, the action shift and
the norms of the action gradients of R and of k clip(log pi0) at the deterministic action, and the forces on the
policy's pre-tanh mean u there (R's slope, pi0's restoring pull, the squashing Jacobians' push, the cosine of
the shift with R's slope), and the regression slope of R on k clip(log pi0) over the policy's samples
(-1: R cancels the prior); and the normalized score (5 episodes) every ``--eval-every`` steps.

usage: python benchmarks/aca_alignment_probe.py CKPT OUT.csv STEPS [--every 250] [--eval-every 500] [--fixed-alpha]
       [--state-only-r]
"""
import argparse

import numpy as np
import pandas as pd
import torch

from acalib import seeding
from acalib.algos import SACML, SACMLConfig
from acalib.checkpoint import load_checkpoint
from acalib.data.buffers import ReplayBuffer
from acalib.data.datasets import load_dataset
from acalib.envs import EnvBatch, normalized_score
from acalib.methods import ONLINE_METHODS, aligned_agent
from acalib.train.evaluate import Evaluator

parser = argparse.ArgumentParser()
parser.add_argument("ckpt"), parser.add_argument("out"), parser.add_argument("steps", type=int)
parser.add_argument("--every", type=int, default=250)
parser.add_argument("--eval-every", type=int, default=500)
parser.add_argument("--dataset", default="hopper-medium")
parser.add_argument("--fixed-alpha", action="store_true",
                    help="a diagnostic, not ACA: hold alpha at its reset value 1 (the temperature's learning rate set to 0)")
parser.add_argument("--state-only-r", action="store_true",
                    help="a diagnostic, not ACA: hold R's action weights at 0 after every update, so R(s, a) = R(s) "
                         "and the aligned Q's action preference is k clip(log pi0) alone")
args = parser.parse_args()
torch.set_num_threads(1)

state = load_checkpoint(args.ckpt)["agent"]
offline = SACML(SACMLConfig.from_dict(state["config"]), state["obs_dim"], state["act_dim"], state["seeds"])
offline.load_state(state)
ds = load_dataset(args.dataset)
agent = aligned_agent(offline, args.dataset)
config = agent.config
if args.fixed_alpha:
    for group in agent.optimizers["temperature"].param_groups:
        group["lr"] = 0.0
prefill = ONLINE_METHODS["aca"].prefill(ds.transitions, config, True)
buffer = ReplayBuffer(agent.runs, 1_000_000, ds.transitions.obs_dim, ds.transitions.act_dim, "cpu", prefix=prefill,
                      max_added=args.steps)
idx = np.random.default_rng(0).choice(len(ds.transitions), 2048)
probe = torch.as_tensor(ds.transitions.observations[idx], dtype=torch.float32).expand(agent.runs, -1, -1)
probe_actions = torch.as_tensor(ds.transitions.actions[idx], dtype=torch.float32).expand(agent.runs, -1, -1)
evaluator = Evaluator("hopper", agent.seeds, 5)
noise_gens = [torch.Generator().manual_seed(12345 + s) for s in agent.seeds]  # the probe's own draws


@torch.no_grad()
def parts(step: int) -> list[dict]:
    agent.before_update()
    terms = agent.reference_terms(probe)
    k = float(agent._k)
    out = {}
    for where, action in (("data", probe_actions), ("policy", None)):
        if action is None:
            _, _, action, log_pi = agent.sample_policy(probe, seeding.normal(noise_gens, (2048, agent.act_dim), "cpu"))
            out["entropy"] = -log_pi.mean(-1)
        r = agent.critic(probe, action).min(dim=1).values  # (R, B)
        logpi0 = k * agent.clipped_log_pi0(terms, action)
        out[f"R_{where}"], out[f"klogpi0_{where}"] = r.mean(-1), logpi0.mean(-1)
        out[f"Q_{where}"] = (r + logpi0).mean(-1)
    out["Z"] = offline.baseline(probe).min(dim=1).values.mean(-1)
    # where the deterministic policy tanh(mu) has moved from pi0's tanh(mu0), and how saturated both are
    mean, log_std = agent.actor.distribution(probe)
    mean0, log_std0 = terms[0], terms[1]
    out["action_shift"] = (torch.tanh(mean) - torch.tanh(mean0)).abs().mean((-2, -1))
    out["saturated"] = (torch.tanh(mean).abs() > 0.95).float().mean((-2, -1))
    out["saturated_pi0"] = (torch.tanh(mean0).abs() > 0.95).float().mean((-2, -1))
    out["log_std"], out["log_std_pi0"] = log_std.mean((-2, -1)), log_std0.mean((-2, -1))
    # the same on the last 2048 states the online policy visited (its replay buffer), and the action gradients
    # of the aligned critic's two parts there, at the deterministic action: |d R / d a| and |d k clip(log pi0) / d a|
    visited = None
    if buffer.size >= 256:
        visited = buffer.data[:, max(0, buffer.pos - 2048):buffer.pos, :agent.obs_dim].expand(agent.runs, -1, -1)
        mean, _ = agent.actor.distribution(visited)
        terms_v = agent.reference_terms(visited)
        out["action_shift_visited"] = (torch.tanh(mean) - torch.tanh(terms_v[0])).abs().mean((-2, -1))
        with torch.enable_grad():
            action = torch.tanh(mean).detach().requires_grad_(True)
            grad_r, = torch.autograd.grad(agent.critic(visited, action).min(dim=1).values.sum(), action)
            action = torch.tanh(mean).detach().requires_grad_(True)
            grad_pi0, = torch.autograd.grad((k * agent.clipped_log_pi0(terms_v, action)).sum(), action)
        out["grad_R_visited"] = grad_r.norm(dim=-1).mean(-1)
        out["grad_klogpi0_visited"] = grad_pi0.norm(dim=-1).mean(-1)
        # the same forces in pre-tanh space u (where the policy's mean lives), per action dimension: R's slope
        # dR/du, pi0's Gaussian restoring pull k (mu0 - u) / sigma0^2, and the squashing Jacobians' net push
        # 2 (k - alpha) tanh(u) (pi0's log-Jacobian enters with k, the policy's own entropy term with -alpha);
        # and the cosine between the policy's shift u - mu0 and R's slope (1: R drives the shift)
        u = mean.detach().requires_grad_(True)
        with torch.enable_grad():
            grad_r_u, = torch.autograd.grad(agent.critic(visited, torch.tanh(u)).min(dim=1).values.sum(), u)
        shift_u = mean - terms_v[0]
        alpha = agent.alpha.view(-1, 1, 1)
        out["shift_u_visited"] = shift_u.abs().mean((-2, -1))
        out["slope_R_u_visited"] = grad_r_u.abs().mean((-2, -1))
        out["pull_pi0_u_visited"] = (k * shift_u / torch.exp(2 * terms_v[1])).abs().mean((-2, -1))
        out["push_jacobian_u_visited"] = (2 * (k - alpha) * torch.tanh(mean)).abs().mean((-2, -1))
        out["cos_shift_R_visited"] = torch.nn.functional.cosine_similarity(shift_u, grad_r_u, dim=-1).mean(-1)
    # does R cancel the prior? Over 8 policy samples per state, the pooled regression slope of R(s,a) on
    # k clip(log pi0(a|s)), both centred per state: 0 while R is flat in a (at the switch), -1 when R has learned
    # exactly -k clip(log pi0) and the aligned Q is left with no preference from pi0
    for where, states in (("data", probe), ("visited", visited)):
        if states is None:
            continue
        many = states.repeat_interleave(8, dim=1)
        _, _, action, _ = agent.sample_policy(many, seeding.normal(noise_gens, (many.shape[1], agent.act_dim), "cpu"))
        r = agent.critic(many, action).min(dim=1).values.unflatten(-1, (-1, 8))
        prior = (k * agent.clipped_log_pi0(agent.reference_terms(many), action)).unflatten(-1, (-1, 8))
        r, prior = r - r.mean(-1, keepdim=True), prior - prior.mean(-1, keepdim=True)
        out[f"R_on_prior_slope_{where}"] = (r * prior).sum((-2, -1)) / (prior * prior).sum((-2, -1))
    return [{"step": step, "seed": s, "k": k, "alpha": float(agent.alpha[i]),
             **{key: float(v[i]) for key, v in out.items()}} for i, s in enumerate(agent.seeds)]


rows, scores = [], {}
envs = EnvBatch("hopper", agent.runs, [seeding.stream_seed(s, "env") * 1_000_003 for s in agent.seeds])
for step in range(args.steps + 1):
    if step % args.every == 0:
        rows += parts(step)
    if step % args.eval_every == 0:
        returns = evaluator(agent)
        for i, s in enumerate(agent.seeds):
            scores[(step, s)] = float(normalized_score(returns[i].mean(), ds.ref_min, ds.ref_max))
        print(step, np.round([scores[(step, s)] for s in agent.seeds], 1), flush=True)
    if step == args.steps:
        break
    with torch.no_grad():
        action = agent.act(torch.as_tensor(envs.obs).unsqueeze(1)).squeeze(1)
    o, r, o2, term, end = envs.step(action.numpy())
    buffer.add(o, action, r, o2, term, end)
    if len(buffer) > config.batch_size:
        agent.update(buffer.sample(config.batch_size, agent.data_generators))
        if args.state_only_r:
            with torch.no_grad():  # the first layer's action rows (weights are (members, in, out), state first)
                agent.critic.net.weights[0][:, agent.obs_dim:].zero_()
                agent.critic_target.net.weights[0][:, agent.obs_dim:].zero_()
frame = pd.DataFrame(rows)
frame["normalized_score"] = [scores.get((r.step, r.seed), np.nan) for r in frame.itertuples()]
frame.to_csv(args.out, index=False)
print(frame.groupby("step").mean(numeric_only=True).drop(columns="seed").round(2).to_string())
