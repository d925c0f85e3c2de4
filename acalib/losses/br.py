"""Balanced Replay with a pessimistic Q-ensemble (Lee et al., CoRL 2021; "BR"), as the official
``shlee94/Off2OnRL`` code computes it (docs/fidelity.md §7).

Shapes: runs R (seeds), ensemble members E per run (5), batch B, action dims A. The ensemble's
2E critics of a run are viewed as (R, E, 2, B): member i's two critics (its CQL critic1, critic2).
"""
from __future__ import annotations

import torch
from torch import Tensor

from ..nets import LOG_STD_MAX, LOG_STD_MIN
from .sac import sac_actor_loss

DENSITY_EPS = 1e-10  # official: inside both logs of the JS loss and in the priority normaliser


def js_density_ratio_loss(w_offline: Tensor, w_online: Tensor) -> Tensor:
    """BR Sec. 4.1, density-ratio estimation with the Jensen-Shannon f-divergence: minimise
    L(psi) = E_off[f*(f'(w))] - E_on[f'(w)], whose minimiser is w = d_on / d_off.

    For JS, f'(w) = log(2w / (w + 1)) and f*(f'(w)) = log((w + 1) / 2) = -log(2 / (w + 1)).
    Official ``OursTrainer.compute_loss``: mean_off[-log(2/(w+1) + 1e-10)] - mean_on[log(2w/(w+1) + 1e-10)],
    with w = ReLU(net(s, a)) >= 0. ``w_offline`` (R, B_off), ``w_online`` (R, B_on); returns (R,).
    """
    offline_term = -torch.log(2.0 / (w_offline + 1.0) + DENSITY_EPS)
    online_term = torch.log(2.0 * w_online / (w_online + 1.0) + DENSITY_EPS)
    return offline_term.mean(-1) - online_term.mean(-1)


def balanced_priority(w: Tensor, w_offline: Tensor, temperature: float = 5.0,
                      clip: tuple[float, float] = (1e-3, 1e3)) -> Tensor:
    """BR Sec. 4.1, the sampling priority of a transition: its density ratio w(s, a)^(1/T).

    Official: clamp(w^(1/T) / (mean_{B_off} w_off^(1/T) + 1e-10), 1e-3, 1e3) with T = 5, normalised
    by the mean over this step's uniform offline batch (so offline data sits near 1), no PER exponent
    and no importance weights. ``w`` (R, B) of the RL batch, ``w_offline`` (R, B_off); returns (R, B).
    """
    if temperature <= 0:
        raise ValueError(f"priority temperature must be positive, got {temperature}")
    scale = w_offline.pow(1.0 / temperature).mean(-1, keepdim=True) + DENSITY_EPS
    return (w.pow(1.0 / temperature) / scale).clamp(*clip)


def moment_match(mean: Tensor, log_std: Tensor, dim: int = 1) -> tuple[Tensor, Tensor]:
    """BR Sec. 4.2, the ensemble policy: one Gaussian in pre-tanh space with the members' first two
    moments, mu = mean_i mu_i and sigma^2 = mean_i(sigma_i^2 + mu_i^2) - mu^2 (then squashed by tanh).

    Official ``ParallelTanhGaussianPolicy``: sigma clamped to [e^-20, e^2], here log sigma to [-20, 2]
    (the same set). The variance is computed as mean_i sigma_i^2 + mean_i (mu_i - mu)^2, the same
    quantity without the cancellation of the literal form. Members along ``dim``; returns
    (mean, log_std) with ``dim`` removed.
    """
    mu = mean.mean(dim)
    var = (2.0 * log_std).exp().mean(dim) + (mean - mu.unsqueeze(dim)).pow(2).mean(dim)
    return mu, (0.5 * var.log()).clamp(LOG_STD_MIN, LOG_STD_MAX)


def ensemble_critic_target(reward: Tensor, done: Tensor, next_q: Tensor, next_log_pi: Tensor,
                           alpha: Tensor, gamma: float) -> Tensor:
    """BR Sec. 4.2 / official: member i's own SAC target with one shared a' ~ pi(.|s'):
    y_i = r + gamma (1 - d) [min(Qbar_i1, Qbar_i2)(s', a') - alpha log pi(a'|s')].

    ``next_q`` (R, E, 2, B) target critics at (s', a'); ``reward``, ``done``, ``next_log_pi`` (R, B);
    ``alpha`` (R,). Returns (R, E, B).
    """
    v = next_q.min(dim=2).values - (alpha.view(-1, 1) * next_log_pi).unsqueeze(1)
    return reward.unsqueeze(1) + gamma * (1.0 - done.unsqueeze(1)) * v


def ensemble_critic_loss(q_pred: Tensor, target: Tensor) -> tuple[Tensor, dict[str, Tensor]]:
    """Official ``qf1_loss + qf2_loss``: sum over members and both critics of mean_B (Q_ij - y_i)^2.

    ``q_pred`` (R, E, 2, B), ``target`` (R, E, B) (no gradient). Returns (R,) and statistics.
    """
    loss = (q_pred - target.detach().unsqueeze(2)).pow(2).mean(-1).sum((1, 2))
    return loss, {"q_mean": q_pred.detach().mean((1, 2, 3)), "target_mean": target.detach().mean((1, 2))}


def ensemble_actor_loss(log_pi: Tensor, q_pi: Tensor, alpha: Tensor) -> Tensor:
    """BR Sec. 4.2 / official: mean_B [alpha log pi(a~|s) - (1/E) sum_i min(Q_i1, Q_i2)(s, a~)].

    The pessimism is each member's clipped double-Q min, averaged over members. ``q_pi`` (R, E, 2, B)
    at the reparameterised a~; ``log_pi`` (R, B); ``alpha`` (R,). Returns (R,).
    """
    return sac_actor_loss(log_pi, q_pi.min(dim=2).values.mean(dim=1), alpha)
