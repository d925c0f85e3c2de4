"""AWAC (Nair et al., 2020) as d3rlpy 1.1's ``AWACImpl``: a SAC critic with a negligible fixed
temperature (1e-20) and an advantage-weighted maximum-likelihood actor on a non-squashed Gaussian
with state-independent sigma (log sigma in [-6, 0]); actor weight decay 1e-4. The same update
serves offline and online (paper App. E.1: online, every offline transition stays in the buffer).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from .. import losses, seeding
from ..data.buffers import Batch
from ..nets import polyak_update
from .sac import SAC, SACConfig


@dataclass(frozen=True)
class AWACConfig(SACConfig):
    """Paper Tables 9 and 11 (lambda 1.0, batch 256); d3rlpy 1.1 defaults otherwise (its batch is 1024)."""

    policy: str = "gaussian"
    log_std_bounds: tuple[float, float] = (-6.0, 0.0)
    init_alpha: float = 1e-20  # the fixed temperature of d3rlpy's AWAC critic target
    temp_lr: float = 0.0  # never updated
    lam: float = 1.0
    n_action_samples: int = 1  # actions per state for V(s)
    actor_weight_decay: float = 1e-4


class AWAC(SAC):
    name = "awac"
    config_cls = AWACConfig

    def __init__(self, config: AWACConfig, obs_dim: int, act_dim: int, seeds: list[int], device: str = "cpu",
                 cuda_graph: bool = False):
        super().__init__(config, obs_dim, act_dim, seeds, device, cuda_graph)
        self.optimizers["actor"] = self.adam(self.actor.parameters(), config.actor_lr, config.actor_weight_decay)
        if config.temp_lr == 0:
            del self.optimizers["temperature"]

    def extra_randoms(self, batch: int) -> tuple[Tensor, ...]:
        return (seeding.normal(self.noise_generators, (batch, self.config.n_action_samples, self.act_dim),
                               self.device),)

    def _update(self, batch: Batch, noise: Tensor, noise_v: Tensor) -> dict[str, Tensor]:
        """Critic (SAC target with the fixed, negligible alpha) -> actor -> Polyak."""
        critic_loss, stats, _ = self.critic_step(batch, noise[1], self.alpha)
        actor_stats = self.actor_step(batch, noise_v)
        polyak_update(self.critic_target, self.critic, self.config.tau)
        return {"critic_loss": critic_loss.detach(), **actor_stats, **stats}

    def _actor_only(self, batch: Batch, noise: Tensor, noise_v: Tensor) -> dict[str, Tensor]:
        """AWAC-style actor step on a frozen critic (paper Fig. 2b)."""
        return self.actor_step(batch, noise_v)

    def actor_step(self, batch: Batch, noise_v: Tensor) -> dict[str, Tensor]:
        """Advantage-weighted maximum likelihood of the data actions (AWAC Eq. 13)."""
        cfg, actor = self.config, self.actor
        mean, log_std = actor.distribution(batch.obs)
        with torch.no_grad():
            r, b, n = self.runs, batch.obs.shape[1], cfg.n_action_samples
            q_data = self.critic(batch.obs, batch.actions).min(dim=1).values
            sampled, _ = actor.rsample(mean.detach().unsqueeze(2), log_std.detach().unsqueeze(2), noise_v)
            obs = batch.obs.unsqueeze(2).expand(r, b, n, self.obs_dim).reshape(r, b * n, self.obs_dim)
            v = self.critic(obs, sampled.reshape(r, b * n, self.act_dim)).min(dim=1).values.view(r, b, n).mean(-1)
            weights = losses.awac.awac_weights(q_data, v, cfg.lam)
        actor_loss = losses.awac.awac_actor_loss(actor.log_prob_under(mean, log_std, batch.actions), weights)
        self.optimize("actor", actor_loss, clip=cfg.actor_grad_clip)
        return {"actor_loss": actor_loss.detach(), "advantage": (q_data - v).mean(-1),
                "weight_max": weights.max(-1).values}
