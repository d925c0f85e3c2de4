"""TD3+BC (Fujimoto & Gu, 2021) as d3rlpy 1.1's ``TD3PlusBCImpl``: a deterministic tanh actor,
clipped double-Q critics with target policy smoothing (sigma 0.2, clip 0.5), the actor and both
target networks updated every second step, and states standardised with the dataset's mean and
standard deviation (the TD3+BC paper's normalisation).
"""
from __future__ import annotations

import copy
from dataclasses import dataclass

import torch
from torch import Tensor

from ..data.buffers import Batch, Transitions
from .. import losses
from ..nets import DeterministicPolicy, QEnsemble, polyak_update
from .agent import ActorCriticConfig, Agent


@dataclass(frozen=True)
class TD3BCConfig(ActorCriticConfig):
    """TD3+BC hyperparameters (the TD3+BC paper; d3rlpy 1.1 defaults)."""

    alpha: float = 2.5
    target_smoothing_sigma: float = 0.2
    target_smoothing_clip: float = 0.5
    update_actor_interval: int = 2
    normalize_observations: bool = True


class TD3BC(Agent):
    name = "td3_bc"
    config_cls = TD3BCConfig
    no_graph_reason = "updates its actor every second step"

    def __init__(self, config: TD3BCConfig, obs_dim: int, act_dim: int, seeds: list[int], device: str = "cpu",
                 cuda_graph: bool = False):
        super().__init__(config, obs_dim, act_dim, seeds, device, cuda_graph)
        self.actor_step = True  # set before every update (``before_update``): step 0 moves the actor
        gens = self.init_generators()
        self.actor = DeterministicPolicy(obs_dim, act_dim, config.hidden, gens)
        self.critic = QEnsemble(obs_dim, act_dim, config.hidden, gens, n=config.n_critics)
        self.register_buffer("obs_mean", torch.zeros(obs_dim))
        self.register_buffer("obs_std", torch.ones(obs_dim))
        self.register_buffer("last_actor_stats", torch.zeros(2, self.runs))  # reported between actor steps
        self.to(self.device)
        self.actor_target = copy.deepcopy(self.actor).requires_grad_(False)
        self.critic_target = copy.deepcopy(self.critic).requires_grad_(False)
        self.optimizers = {"actor": self.adam(self.actor.parameters(), config.actor_lr),
                           "critic": self.adam(self.critic.parameters(), config.critic_lr)}

    def fit_normalizer(self, data: Transitions) -> None:
        """State mean and std (+1e-3, as the TD3+BC code) from the offline dataset."""
        if self.config.normalize_observations:
            self.obs_mean.copy_(torch.as_tensor(data.observations.mean(0)))
            self.obs_std.copy_(torch.as_tensor(data.observations.std(0) + 1e-3))

    def norm(self, obs: Tensor) -> Tensor:
        return (obs - self.obs_mean) / self.obs_std

    @torch.no_grad()
    def act(self, obs: Tensor, deterministic: bool = True) -> Tensor:
        """The deterministic action tanh(mu(s)) (TD3+BC is evaluated, not explored, offline)."""
        return self.actor(self.norm(obs))

    def before_update(self) -> None:
        # decided outside the update program: a compiled update has two graphs, not one per step
        self.actor_step = self.step % self.config.update_actor_interval == 0

    def _update(self, batch: Batch, noise: Tensor) -> dict[str, Tensor]:
        cfg = self.config
        obs, next_obs = self.norm(batch.obs), self.norm(batch.next_obs)
        with torch.no_grad():
            next_action = losses.td3_bc.smoothed_target_action(self.actor_target(next_obs), noise[1], cfg.target_smoothing_sigma,
                                                   cfg.target_smoothing_clip)
            next_q = self.critic_target(next_obs, next_action).min(dim=1).values
            target = losses.common.soft_bellman_target(batch.rewards, batch.terminals, next_q, cfg.gamma)
        critic_loss, stats = losses.common.critic_loss(self.critic(obs, batch.actions), target)
        self.optimize("critic", critic_loss)
        # self.step counts finished updates: the actor moves on steps 0, 2, 4, ... as d3rlpy's grad_step % 2
        if self.actor_step:
            action = self.actor(obs)
            q = self.critic(obs, action, detach=True)[:, 0]
            actor_loss, lam = losses.td3_bc.td3bc_actor_loss(q, action, batch.actions, cfg.alpha)
            self.optimize("actor", actor_loss)
            polyak_update(self.critic_target, self.critic, cfg.tau)
            polyak_update(self.actor_target, self.actor, cfg.tau)
            self.last_actor_stats.copy_(torch.stack([actor_loss.detach(), lam]))
        return {"critic_loss": critic_loss.detach(), "actor_loss": self.last_actor_stats[0].clone(),
                "lambda": self.last_actor_stats[1].clone(), **stats}
