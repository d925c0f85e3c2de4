"""SAC+ML offline (paper Sec. 5.1, Eq. 4) with the Z(s) baseline fitted in the same steps (Eq. 8-9).

Order per step, as the official ``sacml.py::_update``: temperature -> critic -> Z -> actor ->
Polyak. One policy sample at s serves the temperature and actor losses, and one sample at
s' serves the critic and Z targets (the code draws them separately; the policy does not
change in between, so the expectations are the same).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch
from torch import Tensor

from .. import losses, seeding
from ..data.buffers import Batch
from ..nets import VEnsemble, polyak_update
from .sac import SAC, SACConfig


@dataclass(frozen=True)
class SACMLConfig(SACConfig):
    """SAC+ML hyperparameters (paper Tables 9 and 11; official configs/offline)."""

    CHOICES: ClassVar[dict] = {**SACConfig.CHOICES, "z_target": losses.sac_ml.Z_TARGETS}

    w: float = 30.0  # lambda = w / mean|min Q|
    z_lr: float = 3e-4
    n_baselines: int = 2
    z_target: str = "official"  # or "paper": Eq. (9) without the entropy term


def make_baseline(agent, config) -> None:
    """Attach the Z(s) ensemble and its optimiser to an offline agent."""
    agent.baseline = VEnsemble(agent.obs_dim, config.hidden, seeding.generators(agent.seeds, "init_baseline"),
                               n=config.n_baselines).to(agent.device)
    agent.optimizers["baseline"] = agent.adam(agent.baseline.parameters(), config.z_lr)


def baseline_step(agent, batch: Batch, log_pi_data: Tensor, next_log_pi: Tensor,
                  alpha: Tensor) -> tuple[Tensor, dict[str, Tensor]]:
    """One Z(s) step (Eq. 8-9) with the policy's log pi of the dataset actions and of a' ~ pi(.|s')."""
    cfg = agent.config
    floor = getattr(cfg, "baseline_log_pi_floor", None)
    with torch.no_grad():
        next_lp = losses.sac_ml.floor_log_pi(next_log_pi, floor)
        z_target = losses.sac_ml.baseline_target(batch.rewards, batch.terminals, next_lp, agent.baseline(batch.next_obs),
                                     alpha, cfg.gamma, cfg.z_target)
    z_loss, stats = losses.sac_ml.baseline_loss(losses.sac_ml.floor_log_pi(log_pi_data, floor), agent.baseline(batch.obs), z_target)
    agent.optimize("baseline", z_loss)
    return z_loss.detach(), stats


class SACML(SAC):
    """SAC+ML policy and critics plus the alignment baseline Z(s)."""

    name = "sac_ml"
    config_cls = SACMLConfig

    def __init__(self, config: SACMLConfig, obs_dim: int, act_dim: int, seeds: list[int], device: str = "cpu",
                 cuda_graph: bool = False):
        super().__init__(config, obs_dim, act_dim, seeds, device, cuda_graph)
        make_baseline(self, config)

    def _update(self, batch: Batch, noise: Tensor) -> dict[str, Tensor]:
        cfg = self.config
        mean, log_std, pi_action, log_pi = self.sample_policy(batch.obs, noise[0])
        temp_loss, alpha = self.temperature_step(log_pi)

        critic_loss, stats, next_log_pi = self.critic_step(batch, noise[1], alpha)

        log_pi_data = self.actor.log_prob_under(mean, log_std, batch.actions)  # ML term, and Z's log pi(a|s)
        z_loss, z_stats = baseline_step(self, batch, log_pi_data, next_log_pi, alpha)

        actor_loss, ml_stats = losses.sac_ml.sac_ml_actor_loss(log_pi, self.policy_value(batch.obs, pi_action), alpha,
                                                               log_pi_data, cfg.w)
        self.optimize("actor", actor_loss, clip=cfg.actor_grad_clip)

        polyak_update(self.critic_target, self.critic, cfg.tau)
        return {"critic_loss": critic_loss.detach(), "actor_loss": actor_loss.detach(), "z_loss": z_loss,
                "temp_loss": temp_loss.detach(), "alpha": alpha, "entropy": -log_pi.detach().mean(-1),
                **stats, **z_stats, **ml_stats}
