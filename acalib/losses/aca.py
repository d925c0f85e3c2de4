"""Actor-critic alignment online (paper Sec. 5.3, App. A.2-A.3; docs/fidelity.md §3.3-3.4).

The online critic is Q(s,a) = k * clip_beta(log pi0(a|s)) + R(s,a) with pi0 the frozen
offline policy. Shapes: runs R, critics per run n, batch B.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from .common import per_run, soft_bellman_target


def beta_clip_bound(policy, mean: Tensor, log_std: Tensor, beta: float) -> Tensor:
    """Eq. (13): C_beta(s) = min{log pi0(mu - beta sigma | s), log pi0(mu + beta sigma | s)}.

    As in the official code the whole action vector is shifted by -beta sigma or +beta
    sigma in every dimension together and the min is over the two *joint* log-densities.
    For the squashed policy the point is the pre-tanh value (Gaussian part plus tanh
    Jacobian); for the plain Gaussian it is the action itself. No gradient. Returns (R, B).
    """
    with torch.no_grad():
        shift = beta * log_std.exp()
        lo = policy.shifted_log_prob(mean, log_std, -shift)
        hi = policy.shifted_log_prob(mean, log_std, shift)
        return torch.minimum(lo, hi)


def beta_clip(log_pi0: Tensor, bound: Tensor) -> Tensor:
    """Eq. (12): clip_beta(x) = softplus(x - C_beta) + C_beta, a smooth lower bound only.

    Softplus with beta=1 and threshold 20 (``torch.nn.Softplus`` defaults, as the code).
    Gradients flow through ``log_pi0``; ``bound`` is a constant.
    """
    return F.softplus(log_pi0 - bound) + bound


def aligned_q(r_values: Tensor, clipped_log_pi0: Tensor, k: float | Tensor) -> Tensor:
    """Eq. (14)/(19), official form: Q_i(s,a) = R_i(s,a) + k * clip_beta(log pi0(a|s)).

    k multiplies the whole clipped term including C_beta (official code). Eq. (18) in the
    paper, k (clip + R) + (1 - k) R, is algebraically the same. ``r_values`` (R, n, B),
    ``clipped_log_pi0`` (R, B).
    """
    return r_values + k * clipped_log_pi0.unsqueeze(1)


def aca_critic_target(reward: Tensor, done: Tensor, next_r: Tensor, next_clipped_log_pi0: Tensor,
                      next_log_pi: Tensor, alpha: Tensor, k: float | Tensor, gamma: float,
                      reward_shift: float = 0.0) -> Tensor:
    """Eq. (22): y = r~ + gamma (1-d) [min_j Rbar_j(s',a') + k clip(log pi0(a'|s')) - alpha log pi(a'|s')].

    The min is over the target R networks only; the pi0 term is shared by both.
    ``reward_shift`` is -1 on AntMaze (official code), 0 elsewhere.
    """
    v = next_r.min(dim=1).values + k * next_clipped_log_pi0 - per_run(alpha) * next_log_pi
    return soft_bellman_target(reward + reward_shift, done, v, gamma)


K_SCHEDULES = ("official", "paper")


def interpolation_weight(step: int, k0: float, horizon_k: float, k_min: float,
                         form: str = "official") -> float:
    """k after ``step`` updates (paper Eq. (18)-(19), Table 10; official ``_update_interpolation``).

    ``form="official"``: the code does k <- max(k - k0 / (T * 1000), k_min) after every update,
    so k falls linearly towards 0 over T thousand updates and is held at ``k_min`` from
    (1 - k_min / k0) T * 1000 updates on (20k, not 40k, for medium). The closed form below
    equals that recursion up to float rounding.
    ``form="paper"`` (Table 10 read literally, "k decays from k0 to k_min using T episodes"):
    k falls linearly from k0 to k_min over T * 1000 updates.
    """
    if form not in K_SCHEDULES:
        raise ValueError(f"unknown k schedule {form!r}; valid: {K_SCHEDULES}")
    if form == "official":
        return max(k0 - step * k0 / (horizon_k * 1000.0), k_min)
    return max(k0 - step * (k0 - k_min) / (horizon_k * 1000.0), k_min)
