"""Transition storage: flat datasets (``Transitions``) and device-resident replay buffers.

A ``ReplayBuffer`` keeps every field of a transition in one row of one tensor, so a
minibatch for all runs is a single gather. Its leading storage axis is either 1 (an
offline dataset read by every run) or ``runs`` (online data: each run stores its own
transitions, all runs step in lockstep).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import torch
from torch import Tensor

from .. import seeding


class Batch(NamedTuple):
    """A minibatch for every run: states (R, B, obs_dim), actions (R, B, act_dim), rest (R, B)."""

    obs: Tensor
    actions: Tensor
    rewards: Tensor
    next_obs: Tensor
    terminals: Tensor  # 1.0 only for a true termination; a time-limit cut bootstraps


@dataclass
class Transitions:
    """Transitions in episode order, as numpy arrays (what a dataset file holds).

    ``terminals`` marks true terminations; ``timeouts`` marks episode cuts that are not
    terminations (time limit, or the end of the data). An episode ends at either.
    """

    observations: np.ndarray  # (N, obs_dim)
    actions: np.ndarray  # (N, act_dim)
    rewards: np.ndarray  # (N,)
    next_observations: np.ndarray  # (N, obs_dim)
    terminals: np.ndarray  # (N,) bool
    timeouts: np.ndarray  # (N,) bool

    def __post_init__(self):
        self.observations = np.asarray(self.observations, dtype=np.float32)
        self.actions = np.asarray(self.actions, dtype=np.float32)
        self.rewards = np.asarray(self.rewards, dtype=np.float32).reshape(-1)
        self.next_observations = np.asarray(self.next_observations, dtype=np.float32)
        self.terminals = np.asarray(self.terminals, dtype=bool).reshape(-1)
        self.timeouts = np.asarray(self.timeouts, dtype=bool).reshape(-1)
        n = len(self.observations)
        for name in ("actions", "rewards", "next_observations", "terminals", "timeouts"):
            if len(getattr(self, name)) != n:
                raise ValueError(f"transitions field {name!r} has {len(getattr(self, name))} rows, "
                                 f"observations has {n}")

    def __len__(self) -> int:
        return len(self.observations)

    @property
    def obs_dim(self) -> int:
        return self.observations.shape[1]

    @property
    def act_dim(self) -> int:
        return self.actions.shape[1]

    def episode_bounds(self) -> list[tuple[int, int]]:
        """[start, end) of every episode; an unterminated tail counts as an episode."""
        ends = np.flatnonzero(self.terminals | self.timeouts) + 1
        if len(ends) == 0 or ends[-1] != len(self):
            ends = np.append(ends, len(self))
        starts = np.concatenate([[0], ends[:-1]])
        return [(int(s), int(e)) for s, e in zip(starts, ends) if e > s]

    def episode_returns(self) -> np.ndarray:
        return np.array([self.rewards[s:e].sum(dtype=np.float64) for s, e in self.episode_bounds()])

    def take(self, index: np.ndarray) -> "Transitions":
        return Transitions(self.observations[index], self.actions[index], self.rewards[index],
                           self.next_observations[index], self.terminals[index], self.timeouts[index])

    @staticmethod
    def concatenate(parts: list["Transitions"]) -> "Transitions":
        return Transitions(*(np.concatenate([getattr(p, f) for p in parts]) for f in
                             ("observations", "actions", "rewards", "next_observations", "terminals", "timeouts")))


def top_n_episodes(data: Transitions, n: int) -> Transitions:
    """The ``n`` episodes with the highest undiscounted return, in ascending order of return.

    ACA's online buffer seeding (official ``buffer_init``; paper Algorithm 3).
    """
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    bounds = data.episode_bounds()
    returns = data.episode_returns()
    chosen = np.argsort(returns, kind="stable")[len(bounds) - min(n, len(bounds)):]
    if len(chosen) == 0:
        return data.take(np.arange(0))
    return data.take(np.concatenate([np.arange(*bounds[i]) for i in chosen]))


class ReplayBuffer:
    """FIFO transition buffer on a device, sampled uniformly with replacement per run."""

    def __init__(self, runs: int, capacity: int, obs_dim: int, act_dim: int,
                 device: str | torch.device = "cpu", shared: bool = False):
        if capacity <= 0:
            raise ValueError(f"capacity must be positive, got {capacity}")
        self.runs, self.capacity, self.shared = runs, capacity, shared
        self.obs_dim, self.act_dim = obs_dim, act_dim
        self.device = torch.device(device)
        # columns: obs | action | reward | next_obs | terminal | episode_end (boundaries kept with the
        # data, so a buffer can be split back into episodes)
        self.width = 2 * obs_dim + act_dim + 3
        self.data = torch.zeros(1 if shared else runs, capacity, self.width, device=self.device)
        self.pos = 0
        self.size = 0

    @classmethod
    def from_transitions(cls, data: Transitions, runs: int, device: str | torch.device = "cpu",
                         capacity: int | None = None, shared: bool = True) -> "ReplayBuffer":
        buf = cls(runs, capacity or max(len(data), 1), data.obs_dim, data.act_dim, device, shared)
        buf.extend(data)
        return buf

    def __len__(self) -> int:
        return self.size

    def _rows(self, obs, action, reward, next_obs, terminal, episode_end) -> Tensor:
        return torch.cat([obs, action, reward[..., None], next_obs, terminal[..., None], episode_end[..., None]], -1)

    def _write(self, rows: Tensor) -> None:
        """rows: (S, n, width), written FIFO."""
        n = rows.shape[1]
        if n > self.capacity:
            rows, n = rows[:, -self.capacity:], self.capacity
        idx = (self.pos + torch.arange(n, device=self.device)) % self.capacity
        self.data[:, idx] = rows
        self.pos = (self.pos + n) % self.capacity
        self.size = min(self.size + n, self.capacity)

    def add(self, obs: Tensor, action: Tensor, reward: Tensor, next_obs: Tensor,
            terminal: Tensor, episode_end: Tensor) -> None:
        """One transition per run: obs (R, obs_dim), ..., reward/terminal/episode_end (R,)."""
        if self.shared:
            raise RuntimeError("a shared (offline) buffer takes whole datasets via extend()")
        f = lambda x: torch.as_tensor(x, dtype=torch.float32, device=self.device)  # noqa: E731
        rows = self._rows(f(obs), f(action), f(reward), f(next_obs), f(terminal), f(episode_end))
        self._write(rows.unsqueeze(1))

    def extend(self, data: Transitions) -> None:
        """Append the same transitions to every run's storage (or the shared one)."""
        if len(data) == 0:
            return
        if (data.obs_dim, data.act_dim) != (self.obs_dim, self.act_dim):
            raise ValueError(f"transitions of shape (obs_dim, act_dim) = {(data.obs_dim, data.act_dim)} "
                             f"do not fit a buffer of {(self.obs_dim, self.act_dim)}")
        f = lambda x: torch.as_tensor(x, dtype=torch.float32, device=self.device)  # noqa: E731
        rows = self._rows(f(data.observations), f(data.actions), f(data.rewards), f(data.next_observations),
                          f(data.terminals), f(data.terminals | data.timeouts))
        self._write(rows.unsqueeze(0).expand(self.data.shape[0], -1, -1))

    def sample(self, batch_size: int, generators: list[torch.Generator]) -> Batch:
        """A uniform minibatch per run, each run's indices from its own generator."""
        if self.size == 0:
            raise RuntimeError("cannot sample from an empty replay buffer")
        idx = seeding.randint(generators, self.size, batch_size, self.device)  # (R, B)
        if self.shared:
            rows = self.data[0][idx]
        else:
            rows = self.data[torch.arange(self.runs, device=self.device)[:, None], idx]
        o, a = self.obs_dim, self.act_dim
        return Batch(rows[..., :o], rows[..., o:o + a], rows[..., o + a],
                     rows[..., o + a + 1:2 * o + a + 1], rows[..., 2 * o + a + 1])

    def state(self) -> dict:
        return {"data": self.data[:, :self.size].cpu() if self.size < self.capacity else self.data.cpu(),
                "pos": self.pos, "size": self.size, "capacity": self.capacity, "shared": self.shared}

    def load_state(self, state: dict) -> None:
        if state["capacity"] != self.capacity or state["shared"] != self.shared:
            raise ValueError(f"buffer state (capacity {state['capacity']}, shared {state['shared']}) does not fit "
                             f"this buffer (capacity {self.capacity}, shared {self.shared})")
        data = state["data"].to(self.device)
        self.data[:, :data.shape[1]] = data
        self.pos, self.size = int(state["pos"]), int(state["size"])
