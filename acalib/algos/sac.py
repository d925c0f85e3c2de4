"""SAC (Haarnoja et al., 2018) on the seed-batched networks (the agent machinery it shares with every method:
``algos/agent.py``).

Update order per step, as d3rlpy 1.1 and the ACA code: temperature -> critic -> actor ->
Polyak update of the target critics.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import ClassVar

import torch
from torch import Tensor, nn

from .. import losses
from ..data.buffers import Batch
from ..nets import QEnsemble, make_policy, polyak_update
from .agent import ActorCriticConfig, Agent


@dataclass(frozen=True)
class SACConfig(ActorCriticConfig):
    """SAC hyperparameters; defaults are the paper's Table 11 (= d3rlpy 1.1 / the ACA code)."""

    CHOICES: ClassVar[dict] = {"policy": ("squashed", "gaussian"), "temperature_form": losses.common.TEMPERATURE_FORMS}

    temp_lr: float = 3e-4
    init_alpha: float = 1.0
    target_entropy_scale: float = 1.0  # target entropy H = -scale * |A| (0.5 on AntMaze)
    policy: str = "squashed"  # or "gaussian" (state-independent sigma, AntMaze)
    log_std_bounds: tuple[float, float] = (-5.0, 0.0)  # of the "gaussian" policy
    temperature_form: str = "log_alpha"  # official; "alpha" = Eq. (6) literally
    actor_grad_clip: float | None = None  # per-run grad-norm clip of the actor
    burn_in_steps: int = 0  # critic-only updates before actor and temperature move (paper App. C.5)


class SAC(Agent):
    """Soft actor-critic with clipped double Q and automatic temperature (Eq. 1, 5, 6)."""

    name = "sac"
    config_cls = SACConfig

    def __init__(self, config: SACConfig, obs_dim: int, act_dim: int, seeds: list[int], device: str = "cpu",
                 cuda_graph: bool = False):
        super().__init__(config, obs_dim, act_dim, seeds, device, cuda_graph)
        if cuda_graph and config.burn_in_steps:
            raise ValueError("burn_in_steps > 0 switches the update program mid-run; use it without cuda_graph")
        gens = self.init_generators()
        self.actor = make_policy(config.policy, obs_dim, act_dim, config.hidden, gens, config.log_std_bounds)
        self.critic = QEnsemble(obs_dim, act_dim, config.hidden, gens, n=config.n_critics)
        self.log_alpha = nn.Parameter(torch.full((self.runs,), float(torch.log(torch.tensor(config.init_alpha)))))
        self.to(self.device)
        self.critic_target = copy.deepcopy(self.critic).requires_grad_(False)
        self.target_entropy = -config.target_entropy_scale * act_dim
        self.burning_in = config.burn_in_steps > 0  # set again before every update (``before_update``)
        self.optimizers = {
            "actor": self.adam(self.actor.parameters(), config.actor_lr),
            "critic": self.adam(self.critic.parameters(), config.critic_lr),
            "temperature": self.adam([self.log_alpha], config.temp_lr),
        }

    @classmethod
    def from_offline(cls, offline: "SAC", config: SACConfig, cuda_graph: bool = False) -> "SAC":
        """SAC->SAC (and CQL->SAC, AWAC->AWAC) transfer: the offline actor, critics, target
        critics, alpha and optimiser states carry over unchanged (paper App. E.1, E.3)."""
        for key in ("hidden", "n_critics", "policy"):
            if getattr(config, key) != getattr(offline.config, key):
                raise ValueError(f"online {key}={getattr(config, key)!r} differs from the offline run's "
                                 f"{getattr(offline.config, key)!r}")
        agent = cls(config, offline.obs_dim, offline.act_dim, offline.seeds, str(offline.device), cuda_graph)
        with torch.no_grad():
            for name in ("actor", "critic", "critic_target"):
                getattr(agent, name).load_state_dict(getattr(offline, name).state_dict())
            agent.log_alpha.copy_(offline.log_alpha)
        for name in agent.optimizers.keys() & offline.optimizers.keys():
            agent.load_optimizer_state(name, offline.optimizers[name].state_dict())
        return agent

    @property
    def alpha(self) -> Tensor:
        return self.log_alpha.detach().exp()

    def before_update(self) -> None:
        # decided outside the update program: a compiled update then has one graph per phase, not per step
        self.burning_in = self.step < self.config.burn_in_steps

    def sample_policy(self, obs: Tensor, noise: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        """mean, log_std, a ~ pi(.|s) (reparameterised) and log pi(a|s)."""
        mean, log_std = self.actor.distribution(obs)
        action, log_pi = self.actor.rsample(mean, log_std, noise)
        return mean, log_std, action, log_pi

    def temperature_step(self, log_pi: Tensor) -> tuple[Tensor, Tensor]:
        """Eq. (6) step; returns the loss and the updated alpha (R,)."""
        loss = losses.common.temperature_loss(self.log_alpha, log_pi, self.target_entropy, self.config.temperature_form)
        self.optimize("temperature", loss)
        return loss, self.alpha

    @torch.no_grad()
    def next_sample(self, next_obs: Tensor, noise: Tensor) -> tuple[Tensor, Tensor]:
        """a' ~ pi(.|s') and log pi(a'|s') for the Bellman targets."""
        mean, log_std = self.actor.distribution(next_obs)
        return self.actor.rsample(mean, log_std, noise)

    def policy_value(self, obs: Tensor, action: Tensor) -> Tensor:
        """The value the actor maximises, min_j Q_j(s, a~), gradients to the action only. (R, B)"""
        return self.critic(obs, action, detach=True).min(dim=1).values

    def _actor_only(self, batch: Batch, noise: Tensor, *extra: Tensor) -> dict[str, Tensor]:
        """SAC-style temperature and actor steps on a frozen critic."""
        _, _, pi_action, log_pi = self.sample_policy(batch.obs, noise)
        temp_loss, alpha = self.temperature_step(log_pi)
        actor_loss = losses.sac.sac_actor_loss(log_pi, self.policy_value(batch.obs, pi_action), alpha)
        self.optimize("actor", actor_loss, clip=self.config.actor_grad_clip)
        return {"actor_loss": actor_loss.detach(), "temp_loss": temp_loss.detach(), "alpha": alpha,
                "entropy": -log_pi.detach().mean(-1)}

    def critic_step(self, batch: Batch, noise_next: Tensor, alpha: Tensor) -> tuple[Tensor, dict[str, Tensor], Tensor]:
        """Eq. (1), (5): one clipped-double-Q critic step towards the soft Bellman target. Returns the loss, its
        statistics and log pi(a'|s') of the next-state sample (SAC+ML's Z target reuses it)."""
        next_action, next_log_pi = self.next_sample(batch.next_obs, noise_next)
        with torch.no_grad():
            next_q = self.critic_target(batch.next_obs, next_action)
            target = losses.sac.sac_critic_target(batch.rewards, batch.terminals, next_q, next_log_pi, alpha, self.config.gamma)
        critic_loss, stats = losses.common.critic_loss(self.critic(batch.obs, batch.actions), target)
        self.optimize("critic", critic_loss)
        return critic_loss, stats, next_log_pi

    def _update(self, batch: Batch, noise: Tensor) -> dict[str, Tensor]:
        """SAC: temperature -> critic -> actor -> Polyak. ``noise`` (2, R, B, A): at s, at s'.

        During the first ``burn_in_steps`` updates only the critic learns, actor and alpha
        fixed (paper App. C.5)."""
        if self.burning_in:  # no actor or temperature loss to report yet
            alpha = self.alpha
            critic_loss, stats, _ = self.critic_step(batch, noise[1], alpha)
            polyak_update(self.critic_target, self.critic, self.config.tau)
            with torch.no_grad():
                log_pi = self.sample_policy(batch.obs, noise[0])[3]
            return {"critic_loss": critic_loss.detach(), "alpha": alpha, "entropy": -log_pi.mean(-1), **stats}
        _, _, pi_action, log_pi = self.sample_policy(batch.obs, noise[0])
        temp_loss, alpha = self.temperature_step(log_pi)
        critic_loss, stats, _ = self.critic_step(batch, noise[1], alpha)

        actor_loss = losses.sac.sac_actor_loss(log_pi, self.policy_value(batch.obs, pi_action), alpha)
        self.optimize("actor", actor_loss, clip=self.config.actor_grad_clip)

        polyak_update(self.critic_target, self.critic, self.config.tau)
        return {"critic_loss": critic_loss.detach(), "actor_loss": actor_loss.detach(),
                "temp_loss": temp_loss.detach(), "alpha": alpha, "entropy": -log_pi.detach().mean(-1), **stats}
