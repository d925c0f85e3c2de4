"""TD3+BC (Fujimoto & Gu, 2021) as d3rlpy 1.1 runs it (the paper's Table 6 offline comparison)."""
from __future__ import annotations

from torch import Tensor


def smoothed_target_action(next_action: Tensor, noise: Tensor, sigma: float = 0.2, clip: float = 0.5) -> Tensor:
    """TD3 target policy smoothing: clamp(pi'(s') + clamp(sigma eps, -c, c), -1, 1)."""
    return (next_action + (sigma * noise).clamp(-clip, clip)).clamp(-1.0, 1.0)


def td3bc_actor_loss(q: Tensor, action: Tensor, data_action: Tensor, alpha: float = 2.5) -> tuple[Tensor, Tensor]:
    """-lambda mean Q(s, pi(s)) + mean (pi(s) - a)^2 with lambda = alpha / mean|Q| (detached), per run.

    As d3rlpy 1.1, Q is the *first* critic (not the min) and the BC term averages over batch and
    action dimensions. ``q`` (R, B), ``action`` / ``data_action`` (R, B, A). Returns loss and lambda.
    """
    lam = alpha / q.detach().abs().mean(-1)
    return -lam * q.mean(-1) + (data_action - action).pow(2).mean((-2, -1)), lam
