"""Balanced Replay with a pessimistic Q-ensemble (Lee et al., CoRL 2021), online from an offline
ensemble: the ACA paper's CQL->BR baseline (Table 1), and SAC+ML->BR (Fig. 6, 18).

Per seed, the E = 5 offline members' critics (2 each) form one ensemble of 10 Q networks and their
5 policies one moment-matched tanh-Gaussian; a density-ratio network w(s, a) ~ d_on / d_off scores
transitions, and the RL minibatch is drawn from offline + online data by priority w^(1/T)
(``data/balanced_replay.py``). Faithful to the official ``shlee94/Off2OnRL`` code (official-
implementations.md section 2): every loss is computed at the current parameters, then the steps are
taken in its order alpha -> policy -> critics -> density ratio -> Polyak, with the alpha from before
this step's temperature update. The ACA authors ported BR onto d3rlpy's SAC, whose order
(temperature -> critic -> actor, each with the updated networks) differs; acalib follows the official code.
"""
from __future__ import annotations

import copy
import math
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from .. import losses, seeding
from ..config import Config
from ..data.balanced_replay import BalancedReplayBuffer, BRBatch
from ..nets import BatchedMLP, QEnsemble, SquashedGaussianPolicy, polyak_update
from .ensemble import EnsembleSize, member_seeds
from .agent import Agent


@dataclass(frozen=True)
class BRConfig(Config):
    """BR online hyperparameters: the ACA paper's Tables 9 and 11 (CQL->BR), else the official code.

    The ensemble size is the offline ensemble's (``EnsembleSize``); the offline buffer is the whole
    dataset (Table 9: 2.5e6, larger than any D4RL dataset)."""

    hidden: tuple[int, ...] = (256, 256)  # Table 11; must equal the offline ensemble's
    actor_lr: float = 3e-4  # Table 11 (BR, pi lr); official policy_lr
    critic_lr: float = 3e-4  # Table 11; official --lr
    temp_lr: float = 3e-4  # Table 11; official alpha_lr = policy_lr
    init_alpha: float = 1.0  # official: alpha restarts at 1, the offline alpha is not loaded
    target_entropy_scale: float = 1.0  # H = -|A| (Table 11)
    batch_size: int = 256  # Table 11
    gamma: float = 0.99
    tau: float = 0.005  # Table 11; official soft_target_tau 5e-3, every step
    density_hidden: tuple[int, ...] = (256, 256)  # Table 9: [|S| + |A|, 256, 256, 1]
    density_lr: float = 3e-4  # official weight_net_lr
    density_batch_size: int = 256  # official weight_net_batch_size (each of offline and online)
    priority_temperature: float = 5.0  # Table 9 "temp 5"; official --temperature
    priority_clip: tuple[float, float] = (1e-3, 1e3)  # official clamp of the normalised priority
    init_online_fraction: float = 0.75  # Table 9 rho; official README example (argparse default 0.5)
    init_online_window: int = 1000  # official N in M f / ((1 - f) N): online steps per epoch
    online_buffer_size: int = 250_000  # Table 9
    # updates per environment step during the first ``init_online_window`` steps: 1 = the ACA paper's
    # protocol (one update per step); Off2OnRL trains 1000 x first_epoch_multiplier times after its first
    # 1000 steps (argparse default 10, README example 5): set it here to interleave that many
    first_epoch_multiplier: int = 1
    adam_betas: tuple[float, float] = (0.9, 0.999)  # Table 11
    adam_eps: float = 1e-8

    def __post_init__(self):
        super().__post_init__()
        if not 0.0 < self.init_online_fraction < 1.0:
            raise ValueError(f"init_online_fraction must lie in (0, 1), got {self.init_online_fraction}")
        if self.priority_temperature <= 0:
            raise ValueError(f"priority_temperature must be positive, got {self.priority_temperature}")
        if self.first_epoch_multiplier < 1:
            raise ValueError(f"first_epoch_multiplier must be >= 1, got {self.first_epoch_multiplier}")
        lo, hi = self.priority_clip
        if not 0 < lo <= hi:
            raise ValueError(f"priority_clip must be (low, high) with 0 < low <= high, got {self.priority_clip}")


class MomentMatchedPolicy(nn.Module):
    """Each run's E squashed-Gaussian members as one tanh(N(mu, sigma^2)) (BR Sec. 4.2; official
    ``ParallelTanhGaussianPolicy``). Trained as a whole: gradients reach every member."""

    squashed = True
    rsample = staticmethod(SquashedGaussianPolicy.rsample)
    mode = staticmethod(SquashedGaussianPolicy.mode)

    def __init__(self, members: SquashedGaussianPolicy, ensemble_size: int):
        super().__init__()
        self.members, self.ensemble_size = members, ensemble_size

    def distribution(self, obs: Tensor) -> tuple[Tensor, Tensor]:
        """Moment-matched pre-tanh mean and log std (R, n, A) for observations (R, n, obs_dim)."""
        r, e = obs.shape[0], self.ensemble_size
        x = obs.unsqueeze(1).expand(r, e, *obs.shape[1:]).reshape(r * e, *obs.shape[1:])
        mean, log_std = self.members.distribution(x)  # (R * E, n, A)
        return losses.br.moment_match(mean.view(r, e, *mean.shape[1:]), log_std.view(r, e, *log_std.shape[1:]), dim=1)

    def deterministic(self, obs: Tensor) -> Tensor:
        return torch.tanh(self.distribution(obs)[0])


class DensityRatio(nn.Module):
    """w(s, a) = ReLU(f(s, a)) >= 0, an estimate of d_on / d_off (BR Sec. 4.1): (R, B, .) -> (R, B).

    Initialised as the official ``weight_net`` (rlkit ``ConcatMlp``): hidden weights U(+-1/sqrt(out))
    (rlkit's ``fanin_init`` reads size[0] of an (out, in) weight), hidden biases 0, last weights
    U(+-3e-3) and last bias 1, so w is about 1 everywhere at the start."""

    def __init__(self, obs_dim: int, act_dim: int, hidden: tuple[int, ...], init_generators: list[torch.Generator]):
        super().__init__()
        self.net = BatchedMLP(obs_dim + act_dim, 1, hidden, init_generators)
        last = len(self.net.weights) - 1
        with torch.no_grad():
            for i, (w, b) in enumerate(zip(self.net.weights, self.net.biases)):
                bound = 3e-3 if i == last else 1.0 / math.sqrt(w.shape[2])
                w.copy_(torch.stack([torch.rand(w.shape[1:], generator=g) * 2 - 1 for g in init_generators]) * bound)
                b.fill_(1.0 if i == last else 0.0)

    def forward(self, obs: Tensor, action: Tensor) -> Tensor:
        return self.net(torch.cat([obs, action], dim=-1)).squeeze(-1).relu()


class BR(Agent):
    """BR online: runs = seeds; the actor holds E members per run, the critic 2E Q networks per run."""

    name = "br"
    config_cls = BRConfig
    no_graph_reason = "re-scores its sum tree between updates"
    no_compile_reason = "re-scores its sum tree between updates (its update stays eager)"

    def __init__(self, config: BRConfig, obs_dim: int, act_dim: int, seeds: list[int], device: str = "cpu",
                 cuda_graph: bool = False, *, ensemble_size: int = EnsembleSize.ensemble_size):
        super().__init__(config, obs_dim, act_dim, seeds, device, cuda_graph)
        self.ensemble_size = ensemble_size
        self.member_seeds = member_seeds(seeds, ensemble_size)
        members = SquashedGaussianPolicy(obs_dim, act_dim, config.hidden, seeding.generators(self.member_seeds, "init"))
        self.actor = MomentMatchedPolicy(members, ensemble_size)
        self.critic = QEnsemble(obs_dim, act_dim, config.hidden, self.init_generators(), n=2 * ensemble_size)
        self.density = DensityRatio(obs_dim, act_dim, config.density_hidden,
                                    seeding.generators(self.seeds, "init_density"))
        self.log_alpha = nn.Parameter(torch.full((self.runs,), math.log(config.init_alpha)))
        self.to(self.device)
        self.critic_target = copy.deepcopy(self.critic).requires_grad_(False)
        self.target_entropy = -config.target_entropy_scale * act_dim
        self.optimizers = {
            "actor": self.adam(self.actor.parameters(), config.actor_lr),
            "critic": self.adam(self.critic.parameters(), config.critic_lr),
            "temperature": self.adam([self.log_alpha], config.temp_lr),
            "density": self.adam(self.density.parameters(), config.density_lr),
        }
        self.replay: BalancedReplayBuffer | None = None

    @classmethod
    def from_offline(cls, offline: Agent, config: BRConfig, cuda_graph: bool = False) -> "BR":
        """Members' policies and critics from an offline ensemble run; the target critics are copies
        of the critics, alpha = 1 and the optimisers fresh (official ``examples/ours.py``)."""
        size = getattr(offline.config, "ensemble_size", None)
        if size is None:
            raise ValueError(f"BR starts from an ensemble of offline agents, got a {offline.name!r} agent: "
                             f"run `acalib offline --algo cql_ensemble ...` (or sac_ml_ensemble) first")
        if tuple(config.hidden) != tuple(offline.config.hidden):
            raise ValueError(f"online hidden={config.hidden} differs from the offline run's {offline.config.hidden}")
        if offline.config.policy != "squashed" or offline.config.n_critics != 2:
            raise ValueError(f"BR needs squashed-Gaussian members with 2 critics each, got policy="
                             f"{offline.config.policy!r}, n_critics={offline.config.n_critics}")
        agent = cls(config, offline.obs_dim, offline.act_dim, offline.base_seeds, str(offline.device), cuda_graph,
                    ensemble_size=size)
        assert agent.member_seeds == offline.seeds, (agent.member_seeds, offline.seeds)
        with torch.no_grad():
            agent.actor.members.load_state_dict(offline.actor.state_dict())
            agent.critic.load_state_dict(offline.critic.state_dict())  # (S*E*2, ...) == (S*2E, ...), seed-major
            agent.critic_target.load_state_dict(offline.critic.state_dict())
        return agent

    def attach(self, replay: BalancedReplayBuffer) -> None:
        """The buffer whose sampled leaves each update re-scores."""
        self.replay = replay

    @property
    def alpha(self) -> Tensor:
        return self.log_alpha.detach().exp()

    def q(self, obs: Tensor, action: Tensor, detach: bool = False, target: bool = False) -> Tensor:
        """Every member's two critics (R, E, 2, B)."""
        q = (self.critic_target if target else self.critic)(obs, action, detach=detach)
        return q.view(self.runs, self.ensemble_size, 2, -1)

    def updates_per_step(self, env_step: int) -> int:
        """``first_epoch_multiplier`` updates per environment step in the first epoch, then one."""
        return self.config.first_epoch_multiplier if env_step <= self.config.init_online_window else 1

    def update(self, batch: BRBatch) -> dict[str, Tensor]:
        """One step of every loss, then the new priorities of the sampled leaves go to the tree."""
        if self.replay is None:
            raise RuntimeError("BR updates need their Balanced Replay buffer: call agent.attach(buffer) first")
        stats = super().update(batch)
        self.replay.update_priorities(batch.leaf, stats.pop("priority"))
        stats["online_share"] = self.replay.online_share(batch.leaf)
        return stats

    def _update(self, batch: BRBatch, noise: Tensor) -> dict[str, Tensor]:
        cfg = self.config
        w_offline = self.density(batch.offline_obs, batch.offline_actions)  # (R, B_w)
        w_online = self.density(batch.online_obs, batch.online_actions)
        density_loss = losses.br.js_density_ratio_loss(w_offline, w_online)
        with torch.no_grad():  # priorities from the density ratio before its step (official)
            w_rl = self.density(batch.obs, batch.actions)
            priority = losses.br.balanced_priority(w_rl, w_offline, cfg.priority_temperature, cfg.priority_clip)

        mean, log_std = self.actor.distribution(batch.obs)
        pi_action, log_pi = self.actor.rsample(mean, log_std, noise[0])
        alpha = self.alpha  # this step's losses all use alpha before its update (official)
        temp_loss = losses.common.temperature_loss(self.log_alpha, log_pi, self.target_entropy)
        actor_loss = losses.br.ensemble_actor_loss(log_pi, self.q(batch.obs, pi_action, detach=True), alpha)
        with torch.no_grad():
            next_mean, next_log_std = self.actor.distribution(batch.next_obs)
            next_action, next_log_pi = self.actor.rsample(next_mean, next_log_std, noise[1])
            target = losses.br.ensemble_critic_target(batch.rewards, batch.terminals,
                                              self.q(batch.next_obs, next_action, target=True), next_log_pi,
                                              alpha, cfg.gamma)
        critic_loss, stats = losses.br.ensemble_critic_loss(self.q(batch.obs, batch.actions), target)

        self.optimize("temperature", temp_loss)
        self.optimize("actor", actor_loss)
        self.optimize("critic", critic_loss)
        self.optimize("density", density_loss)
        polyak_update(self.critic_target, self.critic, cfg.tau)
        return {"critic_loss": critic_loss.detach(), "actor_loss": actor_loss.detach(),
                "temp_loss": temp_loss.detach(), "alpha": alpha, "entropy": -log_pi.detach().mean(-1),
                "density_loss": density_loss.detach(), "w_offline": w_offline.detach().mean(-1),
                "w_online": w_online.detach().mean(-1), "w_rl": w_rl.mean(-1), "priority_mean": priority.mean(-1),
                "priority": priority, **stats}
