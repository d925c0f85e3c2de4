"""SAC (paper Sec. 3, Eq. 1 and its clipped double-Q form Eq. 5; docs/fidelity.md §2).

Shapes: ``runs`` R, critics per run n, batch B. Per-run scalars such as alpha are (R,).
"""
from __future__ import annotations

from torch import Tensor

from .common import per_run, soft_bellman_target


def sac_critic_target(reward: Tensor, done: Tensor, next_q: Tensor, next_log_pi: Tensor,
                      alpha: Tensor, gamma: float) -> Tensor:
    """Eq. (5): y = r + gamma (1-d) [min_j Qbar_j(s', a') - alpha log pi(a'|s')], a' ~ pi(.|s').

    ``next_q`` (R, n, B) are the target critics at (s', a'); the clipped double-Q min is
    taken here. ``alpha`` (R,) is the current temperature.
    """
    v = next_q.min(dim=1).values - per_run(alpha) * next_log_pi
    return soft_bellman_target(reward, done, v, gamma)


def sac_actor_loss(log_pi: Tensor, q: Tensor, alpha: Tensor) -> Tensor:
    """Eq. (1), actor: mean_B [alpha log pi(a~|s) - Q(s, a~)], a~ ~ pi(.|s) reparameterised.

    ``q`` (R, B) is the critic value at the sampled action (min over the ensemble).
    """
    return (per_run(alpha.detach()) * log_pi - q).mean(-1)
