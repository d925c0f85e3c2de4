"""What every method's losses share: per-run broadcasting, the TD target and regression, the SAC temperature.

Shapes: ``runs`` R, critics per run n, batch B. Per-run scalars such as alpha are (R,).
"""
from __future__ import annotations

from torch import Tensor

TEMPERATURE_FORMS = ("log_alpha", "alpha")


def per_run(x: Tensor) -> Tensor:
    """(R, 1) view of a per-run scalar so it broadcasts over the batch."""
    return x.view(-1, 1)


def soft_bellman_target(reward: Tensor, done: Tensor, next_value: Tensor, gamma: float) -> Tensor:
    """y = r + gamma (1 - d) V(s'), all (R, B). Terminal means a true termination only."""
    return reward + gamma * (1.0 - done) * next_value


def critic_loss(q_pred: Tensor, target: Tensor) -> tuple[Tensor, dict[str, Tensor]]:
    """Eq. (1)/(5): sum over the n critics of mean_B (Q_i(s,a) - y)^2, per run.

    Matches d3rlpy, which sums the critics' mean squared errors. ``q_pred`` (R, n, B),
    ``target`` (R, B) (no gradient).
    """
    loss = (q_pred - target.detach().unsqueeze(1)).pow(2).mean(-1).sum(-1)
    return loss, {"q_mean": q_pred.detach().mean((1, 2)), "target_mean": target.detach().mean(-1)}


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
    return -(per_run(coef) * (log_pi.detach() + target_entropy)).mean(-1)
