"""ACA online: SAC on the aligned critic Q = k * clip_beta(log pi0) + R (paper Sec. 5.2-5.3, App. A).

Alignment (Algorithm 2, official ``run_aca.py``): the offline critics are discarded, R <- Z
(action weights zero, so R(s,a) == Z(s)), pi0 = a frozen copy of the offline policy, alpha
reset to 1. Update order per environment step: temperature -> critic -> actor (grad-norm
clip 0.25) -> Polyak -> k.
"""
from __future__ import annotations

import copy
import re
from dataclasses import dataclass, replace
from typing import ClassVar

import torch
from torch import Tensor

from ..data.buffers import Batch
from .. import losses
from ..nets import polyak_update, q_from_baseline
from .sac import SAC, SACConfig


@dataclass(frozen=True)
class ACAConfig(SACConfig):
    """ACA online hyperparameters; defaults are the medium group (paper Tables 9-11)."""

    CHOICES: ClassVar[dict] = {**SACConfig.CHOICES, "k_schedule": losses.aca.K_SCHEDULES,
                               "critic_update": ("aligned", "sac"),  # "sac": the BC-only ablation (Eq. 23-24)
                               "r_init": ("baseline", "offline_q")}  # "offline_q": R <- Q (Eq. 25-26)

    beta: float = 7.0  # beta-clipping width, in sigmas of pi0
    n_trajs: int = 0  # N: top-N offline episodes seeded into the online buffer
    k0: float = 1.0  # interpolation weight k at the switch
    k_horizon: float = 40.0  # T: k reaches 0 after T * 1000 updates (official semantics)
    k_min: float = 0.5  # floor of k
    k_schedule: str = "official"  # or "paper": k0 -> k_min over T * 1000 updates
    actor_grad_clip: float | None = 0.25
    reward_shift: float = 0.0  # -1 on AntMaze
    keep_offline_adam_state: bool = True  # official: Adam moments carry over from offline
    # Ablations (paper Sec. 6.5, App. D); the defaults are ACA itself.
    critic_update: str = "aligned"  # "sac": BC only, R trained as a plain SAC critic (Eq. 23-24)
    r_init: str = "baseline"  # "offline_q": R <- the offline critics instead of Z (Eq. 25-26)
    reference_tau: float = 0.0  # > 0: delayed reference pi_theta- <- (1 - tau) theta- + tau theta (Fig. 8)
    offline_data: bool = True  # False: no top-N seeding, beta x 1.5 beyond random/medium (Table 4)


@dataclass(frozen=True)
class ACAGroup:
    """Per-dataset-group settings (official configs/online; paper Table 10)."""

    n_trajs: int
    beta: float
    k0: float
    k_horizon: float
    k_min: float
    policy: str = "squashed"
    target_entropy_scale: float = 1.0
    reward_shift: float = 0.0


# The one table of per-group ACA settings (docs/fidelity.md §3.5).
ACA_GROUPS: dict[str, ACAGroup] = {
    "random": ACAGroup(n_trajs=0, beta=7.0, k0=1.0, k_horizon=10, k_min=0.0),
    "medium": ACAGroup(n_trajs=0, beta=7.0, k0=1.0, k_horizon=40, k_min=0.5),
    "medium-replay": ACAGroup(n_trajs=50, beta=7.0, k0=1.0, k_horizon=40, k_min=0.5),
    "medium-expert": ACAGroup(n_trajs=50, beta=15.0, k0=1.0, k_horizon=100, k_min=1.0),
    "expert": ACAGroup(n_trajs=50, beta=15.0, k0=1.0, k_horizon=100, k_min=1.0),
    "antmaze": ACAGroup(n_trajs=0, beta=3.0, k0=1.0, k_horizon=200, k_min=0.5, policy="gaussian",
                        target_entropy_scale=0.5, reward_shift=-1.0),
}


NO_DATA_BETA_SCALE = 1.5  # beta_w/o = 1.5 beta without offline data (paper App. C.4, Table 4)


def aca_group(dataset: str) -> str:
    """Dataset name -> ACA group: any 'antmaze' name, else its level (e.g. 'hopper-medium-replay')."""
    name = dataset.lower()
    if "antmaze" in name:
        return "antmaze"
    stem = re.sub(r"-v\d+$", "", name)
    for level in sorted(ACA_GROUPS, key=len, reverse=True):  # 'medium-expert' before 'expert'
        if stem.endswith(level):
            return level
    raise ValueError(f"cannot tell the ACA dataset group of {dataset!r}; "
                     f"names must contain one of {sorted(ACA_GROUPS)}")


def aca_config(group: str, base: SACConfig | None = None, **overrides) -> ACAConfig:
    """ACAConfig for a dataset group, on top of the offline run's network settings."""
    if group not in ACA_GROUPS:
        raise ValueError(f"unknown ACA group {group!r}; valid: {sorted(ACA_GROUPS)}")
    g = ACA_GROUPS[group]
    shared = {} if base is None else {k: getattr(base, k) for k in ("hidden", "n_critics", "policy", "log_std_bounds",
                                                                    "temperature_form", "adam_betas", "adam_eps")}
    config = ACAConfig(**shared, beta=g.beta, n_trajs=g.n_trajs, k0=g.k0, k_horizon=g.k_horizon, k_min=g.k_min,
                       target_entropy_scale=g.target_entropy_scale, reward_shift=g.reward_shift)
    if base is None:
        config = replace(config, policy=g.policy)
    if overrides.get("offline_data", True) is False:  # paper App. C.4: a more conservative beta
        scale = 1.0 if group in ("random", "medium") else NO_DATA_BETA_SCALE
        config = replace(config, n_trajs=0, beta=g.beta * scale, offline_data=False)
    return ACAConfig.from_dict({**config.to_dict(), **overrides})


class ACA(SAC):
    """Online SAC on the aligned critic; ``critic`` holds R(s,a), ``reference`` the frozen pi0."""

    name = "aca"
    config_cls = ACAConfig

    def __init__(self, config: ACAConfig, obs_dim: int, act_dim: int, seeds: list[int], device: str = "cpu",
                 cuda_graph: bool = False):
        super().__init__(config, obs_dim, act_dim, seeds, device, cuda_graph)  # its choices: checked by ACAConfig
        self.reference = copy.deepcopy(self.actor).requires_grad_(False)
        self._k = torch.zeros((), device=self.device)  # this step's k, set before each update

    @classmethod
    def from_offline(cls, offline, config: ACAConfig, cuda_graph: bool = False) -> "ACA":
        """Actor-critic alignment (Algorithm 2) from a trained agent that has a ``baseline`` Z(s)
        (or, ``r_init="offline_q"``, R <- the offline critics)."""
        if config.r_init == "baseline" and not hasattr(offline, "baseline"):
            raise ValueError(f"ACA needs an offline run with a Z(s) baseline (make one with --algo sac_ml, or "
                             f"--algo cql --set fit_baseline=true); got {offline.name!r}")
        for key in ("hidden", "n_critics", "policy"):
            if getattr(config, key) != getattr(offline.config, key):
                raise ValueError(f"online {key}={getattr(config, key)!r} differs from the offline run's "
                                 f"{getattr(offline.config, key)!r}: the online networks must have the offline run's sizes")
        agent = cls(config, offline.obs_dim, offline.act_dim, offline.seeds, str(offline.device), cuda_graph)
        with torch.no_grad():
            agent.actor.load_state_dict(offline.actor.state_dict())
            agent.reference.load_state_dict(offline.actor.state_dict())
            if config.r_init == "baseline":
                q_from_baseline(offline.baseline, agent.critic)
            else:
                agent.critic.load_state_dict(offline.critic.state_dict())
            agent.critic_target.load_state_dict(agent.critic.state_dict())
            agent.log_alpha.zero_()  # alpha <- 1
        if config.keep_offline_adam_state:
            # d3rlpy's load_model restores every optimiser, the critic's included (its moments now drive R).
            for name in ("actor", "critic", "temperature"):
                agent.load_optimizer_state(name, offline.optimizers[name].state_dict())
        return agent

    @property
    def k(self) -> float:
        c = self.config
        return losses.aca.interpolation_weight(self.step, c.k0, c.k_horizon, c.k_min, c.k_schedule)

    @torch.no_grad()
    def reference_terms(self, obs: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """pi0's mean, log std and beta-clip bound C_beta at ``obs``."""
        mean, log_std = self.reference.distribution(obs)
        return mean, log_std, losses.aca.beta_clip_bound(self.reference, mean, log_std, self.config.beta)

    def clipped_log_pi0(self, terms: tuple[Tensor, Tensor, Tensor], action: Tensor) -> Tensor:
        mean, log_std, bound = terms
        return losses.aca.beta_clip(self.reference.log_prob_under(mean, log_std, action), bound)

    def before_update(self) -> None:
        super().before_update()
        self._k.fill_(self.k)

    def policy_value(self, obs: Tensor, action: Tensor) -> Tensor:
        """Eq. (21): min_j [R_j(s, a~)] + k clip(log pi0(a~|s)); gradients to the action only."""
        q = losses.aca.aligned_q(self.critic(obs, action, detach=True), self.clipped_log_pi0(self.reference_terms(obs), action),
                        self._k)
        return q.min(dim=1).values

    def _update(self, batch: Batch, noise: Tensor) -> dict[str, Tensor]:
        cfg, k = self.config, self._k
        _, _, pi_action, log_pi = self.sample_policy(batch.obs, noise[0])
        temp_loss, alpha = self.temperature_step(log_pi)

        b = batch.obs.shape[1]
        ref = self.reference_terms(torch.cat([batch.obs, batch.next_obs], dim=1))  # one pi0 pass for s and s'
        ref_s = tuple(t[:, :b] for t in ref)
        ref_next = tuple(t[:, b:] for t in ref)
        next_action, next_log_pi = self.next_sample(batch.next_obs, noise[1])
        with torch.no_grad():
            next_r = self.critic_target(batch.next_obs, next_action)
            if cfg.critic_update == "sac":  # BC only (Eq. 23-24): no log pi0 in the critic
                target = losses.sac.sac_critic_target(batch.rewards + cfg.reward_shift, batch.terminals, next_r, next_log_pi,
                                             alpha, cfg.gamma)
            else:
                target = losses.aca.aca_critic_target(batch.rewards, batch.terminals, next_r,
                                             self.clipped_log_pi0(ref_next, next_action), next_log_pi, alpha, k,
                                             cfg.gamma, cfg.reward_shift)
            clipped_data = self.clipped_log_pi0(ref_s, batch.actions)
        r_data = self.critic(batch.obs, batch.actions)
        q_data = r_data if cfg.critic_update == "sac" else losses.aca.aligned_q(r_data, clipped_data, k)
        critic_loss, stats = losses.common.critic_loss(q_data, target)
        self.optimize("critic", critic_loss)

        # Gradients reach the actor through a~ in both R and log pi0; C_beta and the weights stay constant.
        clipped_pi = self.clipped_log_pi0(ref_s, pi_action)
        q_pi = losses.aca.aligned_q(self.critic(batch.obs, pi_action, detach=True), clipped_pi, k).min(dim=1).values
        actor_loss = losses.sac.sac_actor_loss(log_pi, q_pi, alpha)
        self.optimize("actor", actor_loss, clip=cfg.actor_grad_clip)

        polyak_update(self.critic_target, self.critic, cfg.tau)
        if cfg.reference_tau > 0:  # delayed reference (paper Sec. 6.5, Fig. 8); tau = 0 is the frozen pi0
            polyak_update(self.reference, self.actor, cfg.reference_tau)
        return {"critic_loss": critic_loss.detach(), "actor_loss": actor_loss.detach(),
                "temp_loss": temp_loss.detach(), "alpha": alpha, "entropy": -log_pi.detach().mean(-1),
                "k": k.expand_as(alpha).clone(), "clipped_log_pi0": clipped_pi.detach().mean(-1), **stats}
