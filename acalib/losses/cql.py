"""Conservative Q-learning, continuous CQL(H) as d3rlpy 1.1 (which the ACA paper ran; Table 9, 11).

Shapes: runs R, critics per run n, batch B, sampled actions per state N.
"""
from __future__ import annotations

import math

import torch
from torch import Tensor


def cql_logsumexp_gap(q_policy: Tensor, log_pi: Tensor, q_policy_next: Tensor, log_pi_next: Tensor,
                      q_random: Tensor, log_uniform: float, q_data: Tensor) -> Tensor:
    """CQL(H) gap per run: mean over critics and batch of log sum_a exp Q(s,a) minus Q(s, a_data).

    The logsumexp is importance-sampled over 3N actions (d3rlpy 1.1 ``_compute_conservative_loss``):
    N from pi(.|s) and N from pi(.|s') (both evaluated at s, weight 1/pi), and N uniform in
    [-1, 1]^A (weight 2^A). ``q_policy``, ``q_policy_next``, ``q_random``: (R, n, B, N);
    ``log_pi``, ``log_pi_next``: (R, B, N) (constants); ``log_uniform`` = log 0.5^A; ``q_data``: (R, n, B).
    Returns (R,).
    """
    values = torch.cat([q_policy - log_pi.unsqueeze(1), q_policy_next - log_pi_next.unsqueeze(1),
                        q_random - log_uniform], dim=-1)
    return torch.logsumexp(values, dim=-1).mean((1, 2)) - q_data.mean((1, 2))


def uniform_log_density(act_dim: int) -> float:
    """log of the uniform density on [-1, 1]^A: log(0.5^A)."""
    return act_dim * math.log(0.5)


def conservative_penalty(gap: Tensor, log_alpha_prime: Tensor, weight: float, threshold: float) -> Tensor:
    """The critic's CQL term: alpha' (w gap - tau), alpha' = exp(log alpha') clipped to [0, 1e6].

    With the Lagrangian (``alpha_lr`` > 0) alpha' rises while w gap exceeds the threshold tau and
    falls below it; the paper's CQL uses w = 10 (d3rlpy's default is 5), tau = 10.
    """
    alpha_prime = log_alpha_prime.exp().clamp(0.0, 1e6)
    return alpha_prime * (weight * gap - threshold)


def conservative_alpha_loss(gap: Tensor, log_alpha_prime: Tensor, weight: float, threshold: float) -> Tensor:
    """Lagrange-multiplier loss: -alpha' (w gap - tau), the gap held constant (d3rlpy ``update_alpha``)."""
    return -conservative_penalty(gap.detach(), log_alpha_prime, weight, threshold)
