"""Balanced Replay's buffers (Lee et al., CoRL 2021; official ``OurRLAlgorithm`` and
``PriorityReplayBuffer``), with the ``add / sample / state / load_state / len`` interface of
``ReplayBuffer`` so the online loop drives it unchanged.

One object holds what the official code keeps in three buffers:
- the offline dataset (shared by every run), sampled uniformly for the density-ratio loss;
- each run's online transitions, a FIFO of ``online_capacity`` (250k), sampled uniformly for it too;
- a sum tree per run over offline + online transitions, from which the RL minibatch is drawn in
  proportion to priority (stratified), and whose sampled leaves the agent re-scores after its update.

Offline transitions start at priority 1. Each new online transition enters at the tree's running
maximum, which starts at M f / ((1 - f) N) (M offline transitions, f = ``init_online_fraction``,
N = ``init_online_window`` = 1000, the official online steps per epoch): the first N online
transitions then hold a fraction f of the mass. Differences from the official code: its priority
buffer also keeps online data beyond 250k (never reached in 100k-step runs), and it skips the
dataset's time-limit transitions (acalib keeps them, with their true next state, everywhere).
"""
from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor

from .buffers import ReplayBuffer, Transitions
from .sumtree import SumTree


class BRBatch(NamedTuple):
    """One BR update's data: the prioritized RL minibatch (the first five fields, as ``Batch``),
    uniform offline and online batches for the density ratio, and the RL batch's tree leaves."""

    obs: Tensor  # (R, B, obs_dim)
    actions: Tensor
    rewards: Tensor  # (R, B)
    next_obs: Tensor
    terminals: Tensor
    offline_obs: Tensor  # (R, B_w, obs_dim)
    offline_actions: Tensor
    online_obs: Tensor
    online_actions: Tensor
    leaf: Tensor  # (R, B) long: sum-tree leaves of the RL minibatch (offline first, then online)


class BalancedReplayBuffer:
    def __init__(self, runs: int, offline: Transitions, online_capacity: int = 250_000,
                 density_batch_size: int = 256, init_online_fraction: float = 0.75,
                 init_online_window: int = 1000, device: str | torch.device = "cpu", max_added: int | None = None):
        if len(offline) == 0:
            raise ValueError("Balanced Replay needs offline data; the dataset is empty")
        if not 0.0 < init_online_fraction < 1.0:
            raise ValueError(f"init_online_fraction must lie in (0, 1), got {init_online_fraction}")
        if init_online_window <= 0 or density_batch_size <= 0:
            raise ValueError(f"init_online_window and density_batch_size must be positive, got "
                             f"{init_online_window} and {density_batch_size}")
        self.runs, self.device = runs, torch.device(device)
        self.density_batch_size = density_batch_size
        self.offline = ReplayBuffer.from_transitions(offline, runs, device)  # (1, M, width), shared
        self.online = ReplayBuffer(runs, online_capacity, offline.obs_dim, offline.act_dim, device,
                                   max_added=max_added)
        self.offline_size = len(offline)
        self.tree = SumTree(runs, self.offline_size + self.online.data.shape[1], device)
        self.tree.set_leaves(torch.ones(runs, self.offline_size, dtype=torch.float64))
        initial = self.offline_size * init_online_fraction / ((1.0 - init_online_fraction) * init_online_window)
        self.tree.max_priority.fill_(initial)  # official: assigned, not max'ed, after the offline data

    def __len__(self) -> int:
        return self.offline_size + len(self.online)

    def add(self, obs: Tensor, action: Tensor, reward: Tensor, next_obs: Tensor,
            terminal: Tensor, episode_end: Tensor) -> None:
        """One online transition per run, entering the tree at the running maximum priority."""
        slot = self.online.pos
        self.online.add(obs, action, reward, next_obs, terminal, episode_end)
        leaf = torch.full((self.runs, 1), self.offline_size + slot, device=self.device)
        self.tree.update(leaf, self.tree.max_priority[:, None])

    def sample(self, batch_size: int, generators: list[torch.Generator]) -> BRBatch:
        """Uniform online and offline batches of ``density_batch_size``, then ``batch_size`` transitions
        by priority (the official order of draws), each run from its own generator."""
        if len(self.online) == 0:
            raise RuntimeError("Balanced Replay samples online data for its density ratio: add a transition first")
        on = self.online.sample(self.density_batch_size, generators)
        off = self.offline.sample(self.density_batch_size, generators)
        leaf = self.tree.sample(batch_size, generators, size=len(self))
        m = self.offline_size
        offline_rows = self.offline.data[0][leaf.clamp(max=m - 1)]
        online_rows = self.online.data[self.online.run_index, (leaf - m).clamp(min=0)]
        rows = torch.where((leaf < m).unsqueeze(-1), offline_rows, online_rows)
        return BRBatch(*self.offline.rows_to_batch(rows), off.obs, off.actions, on.obs, on.actions, leaf)

    def update_priorities(self, leaf: Tensor, priority: Tensor) -> None:
        """Overwrite the priorities of sampled leaves (R, B) (official ``update_priorities``)."""
        self.tree.update(leaf, priority)

    def online_share(self, leaf: Tensor) -> Tensor:
        """Fraction of each run's RL minibatch that is online data (R,)."""
        return (leaf >= self.offline_size).float().mean(-1)

    def state(self) -> dict:
        """The online transitions and every priority (the offline data is rebuilt from its dataset)."""
        n = self.offline_size + self.online.size
        return {"online": self.online.state(), "priorities": self.tree.leaves(n).cpu().clone(),
                "max_priority": self.tree.max_priority.cpu().clone(), "offline_size": self.offline_size}

    def load_state(self, state: dict) -> None:
        if state.get("offline_size") != self.offline_size:
            raise ValueError(f"buffer state holds {state.get('offline_size')} offline transitions, "
                             f"this buffer {self.offline_size}")
        self.online.load_state(state["online"])
        self.tree.set_leaves(state["priorities"].to(self.device))
        self.tree.max_priority = state["max_priority"].to(self.device, torch.float64)
