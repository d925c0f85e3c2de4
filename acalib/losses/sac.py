"""SAC, SAC+ML and the Z(s) baseline fit (paper Sec. 3, 5.1, 5.2; official-implementations.md 1.3).

Shapes: ``runs`` R, critics per run n, batch B. Per-run scalars such as alpha are (R,).
"""
from __future__ import annotations

from torch import Tensor


def _per_run(x: Tensor) -> Tensor:
    """(R, 1) view of a per-run scalar so it broadcasts over the batch."""
    return x.view(-1, 1)


def soft_bellman_target(reward: Tensor, done: Tensor, next_value: Tensor, gamma: float) -> Tensor:
    """y = r + gamma (1 - d) V(s'), all (R, B). Terminal means a true termination only."""
    return reward + gamma * (1.0 - done) * next_value


def sac_critic_target(reward: Tensor, done: Tensor, next_q: Tensor, next_log_pi: Tensor,
                      alpha: Tensor, gamma: float) -> Tensor:
    """Eq. (5): y = r + gamma (1-d) [min_j Qbar_j(s', a') - alpha log pi(a'|s')], a' ~ pi(.|s').

    ``next_q`` (R, n, B) are the target critics at (s', a'); the clipped double-Q min is
    taken here. ``alpha`` (R,) is the current temperature.
    """
    v = next_q.min(dim=1).values - _per_run(alpha) * next_log_pi
    return soft_bellman_target(reward, done, v, gamma)


def critic_loss(q_pred: Tensor, target: Tensor) -> tuple[Tensor, dict[str, Tensor]]:
    """Eq. (1)/(5): sum over the n critics of mean_B (Q_i(s,a) - y)^2, per run.

    Matches d3rlpy, which sums the critics' mean squared errors. ``q_pred`` (R, n, B),
    ``target`` (R, B) (no gradient).
    """
    loss = (q_pred - target.detach().unsqueeze(1)).pow(2).mean(-1).sum(-1)
    return loss, {"q_mean": q_pred.detach().mean((1, 2)), "target_mean": target.detach().mean(-1)}


def sac_actor_loss(log_pi: Tensor, q: Tensor, alpha: Tensor) -> Tensor:
    """Eq. (1), actor: mean_B [alpha log pi(a~|s) - Q(s, a~)], a~ ~ pi(.|s) reparameterised.

    ``q`` (R, B) is the critic value at the sampled action (min over the ensemble).
    """
    return (_per_run(alpha.detach()) * log_pi - q).mean(-1)


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


def temperature_loss(log_alpha: Tensor, log_pi: Tensor, target_entropy: float,
                     form: str = "log_alpha") -> Tensor:
    """Eq. (6): drive the policy entropy towards ``target_entropy`` (= -|A| on MuJoCo).

    ``form="log_alpha"`` (official ACA code and d3rlpy 1.1 SAC+ML):
    L = -mean[log_alpha (log pi + H)]. ``form="alpha"`` (the paper's Eq. (6) literally):
    L = -mean[alpha (log pi + H)]. Both have the same fixed point; gradients differ by alpha.
    """
    if form not in TEMPERATURE_FORMS:
        raise ValueError(f"unknown temperature loss form {form!r}; valid: {TEMPERATURE_FORMS}")
    coef = log_alpha if form == "log_alpha" else log_alpha.exp()
    return -(_per_run(coef) * (log_pi.detach() + target_entropy)).mean(-1)


TEMPERATURE_FORMS = ("log_alpha", "alpha")
Z_TARGETS = ("official", "paper")


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
        v = v - _per_run(alpha) * next_log_pi
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
