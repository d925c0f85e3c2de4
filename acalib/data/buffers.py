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

    def discounted_returns_to_go(self, gamma: float) -> np.ndarray:
        """sum_t' gamma^(t'-t) r_t' to the end of each transition's episode, (N,) float64: the Monte-Carlo value
        a critic of the data's own actions estimates (a lower bound where an episode is cut, not terminated)."""
        out = np.empty(len(self))
        for start, end in self.episode_bounds():
            acc = 0.0
            for i in range(end - 1, start - 1, -1):
                acc = float(self.rewards[i]) + gamma * acc
                out[i] = acc
        return out

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


def gather_rows(table: Tensor, idx: Tensor) -> Tensor:
    """``table[idx]`` for a 2-D table and any shape of row indices, by ``index_select`` (on a CPU ~8x faster than
    advanced indexing for a minibatch of rows: it skips the general gather's set-up)."""
    return table.index_select(0, idx.reshape(-1)).view(*idx.shape, table.shape[1])


class ReplayBuffer:
    """FIFO transition buffer on a device, sampled uniformly with replacement per run.

    ``shared=True``: one storage read by every run (an offline dataset). Otherwise each run stores
    its own transitions, after an optional ``prefix`` of transitions common to all runs (offline
    data seeded into an online buffer), which is kept once and never checkpointed. Prefix and
    online data together form one FIFO of ``capacity`` transitions, so once full the oldest prefix
    transitions leave first (as the official buffer, maxlen 1e6, filled with the offline data first).
    """

    def __init__(self, runs: int, capacity: int, obs_dim: int, act_dim: int,
                 device: str | torch.device = "cpu", shared: bool = False,
                 prefix: Transitions | None = None, max_added: int | None = None):
        if capacity <= 0:
            raise ValueError(f"capacity must be positive, got {capacity}")
        if shared and prefix is not None:
            raise ValueError("a shared buffer takes its data via extend(), not a prefix")
        self.runs, self.capacity, self.shared = runs, capacity, shared
        self.obs_dim, self.act_dim = obs_dim, act_dim
        self.device = torch.device(device)
        # columns: obs | action | reward | next_obs | terminal | episode_end (boundaries kept with the
        # data, so a buffer can be split back into episodes)
        self.width = 2 * obs_dim + act_dim + 3
        rows = capacity if max_added is None else max(1, min(capacity, max_added))
        self.data = torch.zeros(1 if shared else runs, rows, self.width, device=self.device)
        self.prefix = self._to_rows(prefix)[-capacity:] if prefix is not None and len(prefix) else \
            torch.zeros(0, self.width, device=self.device)
        self.run_index = torch.arange(self.runs, device=self.device)[:, None]  # (R, 1), for per-run gathers
        self.run_offset = self.run_index * self.data.shape[1]  # run r's rows start at r * rows in the flat storage
        self.pos = 0
        self.size = 0  # transitions in ``data``
        self.added = 0  # transitions ever added to ``data``

    @classmethod
    def from_transitions(cls, data: Transitions, runs: int, device: str | torch.device = "cpu",
                         capacity: int | None = None, shared: bool = True) -> "ReplayBuffer":
        buf = cls(runs, capacity or max(len(data), 1), data.obs_dim, data.act_dim, device, shared)
        buf.extend(data)
        return buf

    @property
    def prefix_start(self) -> int:
        """Prefix transitions already pushed out of the FIFO by online ones."""
        evicted = max(0, len(self.prefix) + self.added - self.capacity)
        return min(len(self.prefix), evicted)

    def __len__(self) -> int:
        return len(self.prefix) - self.prefix_start + self.size

    def _to_rows(self, data: Transitions) -> Tensor:
        if (data.obs_dim, data.act_dim) != (self.obs_dim, self.act_dim):
            raise ValueError(f"transitions of shape (obs_dim, act_dim) = {(data.obs_dim, data.act_dim)} "
                             f"do not fit a buffer of {(self.obs_dim, self.act_dim)}")
        f = lambda x: torch.as_tensor(x, dtype=torch.float32, device=self.device)  # noqa: E731
        return self._rows(f(data.observations), f(data.actions), f(data.rewards), f(data.next_observations),
                          f(data.terminals), f(data.terminals | data.timeouts))

    def _rows(self, obs, action, reward, next_obs, terminal, episode_end) -> Tensor:
        return torch.cat([obs, action, reward[..., None], next_obs, terminal[..., None], episode_end[..., None]], -1)

    def _write(self, rows: Tensor) -> None:
        """rows: (S, n, width), written FIFO."""
        n, slots = rows.shape[1], self.data.shape[1]
        self.added += n
        if n > slots:
            rows, n = rows[:, -slots:], slots
        idx = (self.pos + torch.arange(n, device=self.device)) % slots
        self.data[:, idx] = rows
        self.pos = (self.pos + n) % slots
        self.size = min(self.size + n, slots)

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
        rows = self._to_rows(data)
        self._write(rows.unsqueeze(0).expand(self.data.shape[0], -1, -1))

    def sample(self, batch_size: int, generators: list[torch.Generator]) -> Batch:
        """A uniform minibatch per run, each run's indices from its own generator."""
        if len(self) == 0:
            raise RuntimeError("cannot sample from an empty replay buffer")
        start = self.prefix_start
        n_prefix = len(self.prefix) - start
        idx = seeding.randint(generators, len(self), batch_size, self.device)  # (R, B)
        if self.shared:
            rows = gather_rows(self.data[0], idx)
        else:
            rows = gather_rows(self.data.view(-1, self.width), (idx - n_prefix).clamp_(min=0) + self.run_offset)
            if n_prefix:
                from_prefix = (idx < n_prefix).unsqueeze(-1)
                rows = torch.where(from_prefix, gather_rows(self.prefix, (start + idx).clamp_(max=len(self.prefix) - 1)),
                                   rows)
        return self.rows_to_batch(rows)

    def rows_to_batch(self, rows: Tensor) -> Batch:
        """Split stored rows (R, B, width) into a ``Batch``."""
        o, a = self.obs_dim, self.act_dim
        return Batch(rows[..., :o], rows[..., o:o + a], rows[..., o + a],
                     rows[..., o + a + 1:2 * o + a + 1], rows[..., 2 * o + a + 1])

    def state(self) -> dict:
        """The buffer's own transitions (not the prefix, which is rebuilt from its dataset)."""
        data = self.data[:, :self.size] if self.size < self.data.shape[1] else self.data
        return {"data": data.cpu(), "pos": self.pos, "size": self.size, "added": self.added,
                "capacity": self.capacity, "shared": self.shared, "prefix": len(self.prefix)}

    def load_state(self, state: dict) -> None:
        mine = (self.capacity, self.shared, len(self.prefix))
        theirs = (state["capacity"], state["shared"], state.get("prefix", 0))
        if mine != theirs:
            raise ValueError(f"buffer state (capacity, shared, prefix) = {theirs} does not fit this buffer's {mine}")
        data = state["data"].to(self.device)
        self.data[:, :data.shape[1]] = data
        self.pos, self.size = int(state["pos"]), int(state["size"])
        self.added = int(state.get("added", self.size))
