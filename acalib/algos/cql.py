"""CQL(H) offline, as d3rlpy 1.1 runs it (Kumar et al., 2020; the ACA paper's Tables 9 and 11).

Order per step, as d3rlpy 1.1 ``CQL._update``: temperature -> Lagrange multiplier alpha' ->
critic (TD + conservative term) -> actor (SAC) -> Polyak. The 3N sampled actions and the dataset
action of every state go through the critics in one batched call. The alpha' step uses the same
conservative gap as the critic step (d3rlpy draws fresh samples for it; same expectation).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import torch
from torch import Tensor, nn

from .. import losses, seeding
from ..data.buffers import Batch
from ..nets import polyak_update
from .sac import SAC, SACConfig
from .sac_ml import baseline_step, make_baseline


@dataclass(frozen=True)
class CQLConfig(SACConfig):
    """CQL hyperparameters; paper Tables 9 and 11 (d3rlpy 1.1 defaults otherwise)."""

    CHOICES: ClassVar[dict] = {**SACConfig.CHOICES, "z_target": losses.sac_ml.Z_TARGETS}

    actor_lr: float = 1e-4
    temp_lr: float = 1e-4
    conservative_weight: float = 10.0
    n_action_samples: int = 10
    alpha_prime_init: float = 1.0
    alpha_prime_lr: float = 1e-4  # 0 keeps alpha' fixed
    alpha_threshold: float = 10.0
    soft_q_backup: bool = False  # d3rlpy's default: y = r + gamma (1-d) min Qbar(s', tanh(mu(s')))
    # Z(s) for aligning the CQL policy (CQL->ACA, paper Sec. 6.3), fitted in the same steps as for SAC+ML
    fit_baseline: bool = False
    z_lr: float = 3e-4
    n_baselines: int = 2
    z_target: str = "official"
    baseline_log_pi_floor: float | None = 0.0


class CQL(SAC):
    name = "cql"
    config_cls = CQLConfig

    def __init__(self, config: CQLConfig, obs_dim: int, act_dim: int, seeds: list[int], device: str = "cpu",
                 cuda_graph: bool = False):
        super().__init__(config, obs_dim, act_dim, seeds, device, cuda_graph)
        self.log_alpha_prime = nn.Parameter(torch.full((self.runs,), math.log(config.alpha_prime_init),
                                                       device=self.device))
        if config.alpha_prime_lr > 0:
            self.optimizers["alpha_prime"] = self.adam([self.log_alpha_prime], config.alpha_prime_lr)
        self.log_uniform = losses.cql.uniform_log_density(act_dim)
        if config.fit_baseline:
            make_baseline(self, config)

    def extra_randoms(self, batch: int) -> tuple[Tensor, ...]:
        """N policy-noise draws at s and at s', and N uniform actions, per state: (R, B, N, A) each."""
        shape = (batch, self.config.n_action_samples, self.act_dim)
        return (seeding.normal(self.noise_generators, shape, self.device),
                seeding.normal(self.noise_generators, shape, self.device),
                seeding.uniform(self.noise_generators, shape, self.device))

    def _update(self, batch: Batch, noise: Tensor, noise_s: Tensor, noise_next: Tensor,
                uniform: Tensor) -> dict[str, Tensor]:
        cfg, actor = self.config, self.actor
        mean, log_std, pi_action, log_pi = self.sample_policy(batch.obs, noise[0])
        temp_loss, alpha = self.temperature_step(log_pi)

        with torch.no_grad():
            next_mean, next_log_std = actor.distribution(batch.next_obs)
            if cfg.soft_q_backup:
                next_action, next_log_pi = actor.rsample(next_mean, next_log_std, noise[1])
                target = losses.sac.sac_critic_target(batch.rewards, batch.terminals,
                                             self.critic_target(batch.next_obs, next_action), next_log_pi,
                                             alpha, cfg.gamma)
            else:
                next_q = self.critic_target(batch.next_obs, actor.mode(next_mean)).min(dim=1).values
                target = losses.common.soft_bellman_target(batch.rewards, batch.terminals, next_q, cfg.gamma)
            a_s, lp_s = actor.rsample(mean.detach().unsqueeze(2), log_std.detach().unsqueeze(2), noise_s)
            a_next, lp_next = actor.rsample(next_mean.unsqueeze(2), next_log_std.unsqueeze(2), noise_next)

        r, b, n = self.runs, batch.obs.shape[1], cfg.n_action_samples
        actions = torch.cat([batch.actions.unsqueeze(2), a_s, a_next, uniform], dim=2)  # (R, B, 1 + 3N, A)
        obs = batch.obs.unsqueeze(2).expand(r, b, 1 + 3 * n, self.obs_dim)
        q = self.critic(obs.reshape(r, -1, self.obs_dim), actions.reshape(r, -1, self.act_dim))
        q = q.view(r, cfg.n_critics, b, 1 + 3 * n)
        q_data = q[..., 0]
        gap = losses.cql.cql_logsumexp_gap(q[..., 1:n + 1], lp_s, q[..., n + 1:2 * n + 1], lp_next, q[..., 2 * n + 1:],
                                  self.log_uniform, q_data)
        stats = {}
        if "alpha_prime" in self.optimizers:
            alpha_loss = losses.cql.conservative_alpha_loss(gap, self.log_alpha_prime, cfg.conservative_weight,
                                                   cfg.alpha_threshold)
            self.optimize("alpha_prime", alpha_loss)
            stats["alpha_prime_loss"] = alpha_loss.detach()
        td_loss, td_stats = losses.common.critic_loss(q_data, target)
        penalty = losses.cql.conservative_penalty(gap, self.log_alpha_prime.detach(), cfg.conservative_weight,
                                         cfg.alpha_threshold)
        self.optimize("critic", td_loss + penalty)
        if cfg.fit_baseline:
            with torch.no_grad():
                next_log_pi = actor.rsample(next_mean, next_log_std, noise[1])[1]
            stats["z_loss"], z_stats = baseline_step(self, batch, actor.log_prob_under(mean, log_std, batch.actions),
                                                     next_log_pi, alpha)
            stats.update(z_stats)

        actor_loss = losses.sac.sac_actor_loss(log_pi, self.policy_value(batch.obs, pi_action), alpha)
        self.optimize("actor", actor_loss, clip=cfg.actor_grad_clip)

        polyak_update(self.critic_target, self.critic, cfg.tau)
        return {"critic_loss": td_loss.detach(), "conservative_loss": penalty.detach(), "cql_gap": gap.detach(),
                "alpha_prime": self.log_alpha_prime.detach().exp(), "actor_loss": actor_loss.detach(),
                "temp_loss": temp_loss.detach(), "alpha": alpha, "entropy": -log_pi.detach().mean(-1),
                **td_stats, **stats}
