"""SAC+ML's actor (Eq. 4) and the Z(s) baseline fit (Eq. 8-9), paper Sec. 5.1-5.2; docs/fidelity.md §3.1.

Shapes: ``runs`` R, critics (baselines) per run n, batch B. Per-run scalars such as alpha are (R,).
"""
from __future__ import annotations

from torch import Tensor

from .common import per_run, soft_bellman_target
from .sac import sac_actor_loss

Z_TARGETS = ("official", "paper")


def sac_ml_actor_loss(log_pi: Tensor, q: Tensor, alpha: Tensor, log_pi_data: Tensor,
                      w: float = 30.0) -> tuple[Tensor, dict[str, Tensor]]:
    """Eq. (4), SAC+ML actor: lambda mean[alpha log pi(b|s) - Q(s,b)] - mean log pi(a|s).

    lambda = w / mean_B |min_i Q_i(s, b)| (detached, per run; w = 30, paper Table 9).
    As in the official code lambda also scales the entropy term, and the ML term uses
    the dataset actions' squashed log-prob (clamp +-0.999999, atanh).
    """
    lam = w / q.detach().abs().mean(-1)
    loss = lam * sac_actor_loss(log_pi, q, alpha) - log_pi_data.mean(-1)
    return loss, {"lambda": lam, "log_pi_data": log_pi_data.detach().mean(-1)}


def baseline_target(reward: Tensor, done: Tensor, next_log_pi: Tensor, next_z: Tensor,
                    alpha: Tensor, gamma: float, form: str = "official") -> Tensor:
    """Eq. (9): the soft Bellman target that log pi(a|s) + Z(s) is regressed on.

    ``form="official"`` (default; official ``sacml_impl.py``):
        y = r + gamma (1-d) [log pi(a'|s') + min_j Z_j(s') - alpha log pi(a'|s')],
    with a' ~ pi(.|s'), the current (moving) policy, the *online* Z networks (no target
    net) and the offline alpha on the entropy term only.
    ``form="paper"`` (Eq. (9) literally): y = r + gamma (1-d) [log pi(a'|s') + min_j Z_j(s')].
    ``next_z`` (R, n, B).
    """
    if form not in Z_TARGETS:
        raise ValueError(f"unknown Z target {form!r}; valid: {Z_TARGETS}")
    v = next_log_pi + next_z.min(dim=1).values
    if form == "official":
        v = v - per_run(alpha) * next_log_pi
    return soft_bellman_target(reward, done, v, gamma)


def floor_log_pi(log_pi: Tensor, floor: float | None) -> Tensor:
    """log pi in the Z fit, clipped below at ``floor`` when given. Paper Sec. 6.3: aligning a CQL
    policy, Eq. (8) "clips log pi0 to 0 when it is negative" (read here as max(log pi0, 0), applied
    to every log pi term of the fit); None (SAC+ML) leaves it unchanged."""
    return log_pi if floor is None else log_pi.clamp(min=floor)


def baseline_loss(log_pi_data: Tensor, z_pred: Tensor, target: Tensor) -> tuple[Tensor, dict[str, Tensor]]:
    """Eq. (8): sum_i mean_B [(log pi(a|s) + Z_i(s)) - y]^2, semi-gradient on Z only.

    ``log_pi_data`` (R, B) is the current policy's log-prob of the dataset actions,
    treated as a constant; ``z_pred`` (R, n, B).
    """
    pred = log_pi_data.detach().unsqueeze(1) + z_pred
    loss = (pred - target.detach().unsqueeze(1)).pow(2).mean(-1).sum(-1)
    return loss, {"z_mean": z_pred.detach().mean((1, 2))}
