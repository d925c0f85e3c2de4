"""A sum tree per run for prioritized sampling (Balanced Replay; official Off2OnRL ``SegmentTree``).

Leaves hold priorities; each inner node the sum of its two children, so sampling proportional to
priority is a walk from the root. All runs' trees live in one tensor (runs, 2 * capacity) and every
operation is vectorised over runs and indices. Sampling is stratified as in the official code:
the total mass is cut into ``batch`` equal segments and one point is drawn uniformly in each.
"""
from __future__ import annotations

import math

import torch
from torch import Tensor


class SumTree:
    def __init__(self, runs: int, capacity: int, device: str | torch.device = "cpu"):
        if capacity <= 0:
            raise ValueError(f"capacity must be positive, got {capacity}")
        self.runs = runs
        self.capacity = 1 << max(0, math.ceil(math.log2(capacity)))  # leaves: a power of two
        self.depth = int(math.log2(self.capacity))
        self.device = torch.device(device)
        self.tree = torch.zeros(runs, 2 * self.capacity, dtype=torch.float64, device=self.device)  # node 1 = root
        self.max_priority = torch.ones(runs, dtype=torch.float64, device=self.device)  # running max, never falls
        self.run_offset = torch.arange(runs, device=self.device)[:, None] * (2 * self.capacity)  # into the flat view

    def _flat(self, node: Tensor) -> Tensor:
        return node + self.run_offset

    @property
    def total(self) -> Tensor:
        """(runs,) sum of all priorities."""
        return self.tree[:, 1]

    def priorities(self, index: Tensor) -> Tensor:
        """Leaf priorities at ``index`` (runs, n)."""
        return self.tree.view(-1)[self._flat(index + self.capacity)]

    def leaves(self, n: int) -> Tensor:
        """The first ``n`` leaf priorities of every run (runs, n)."""
        return self.tree[:, self.capacity:self.capacity + n]

    def set_leaves(self, priority: Tensor) -> None:
        """Set the first ``priority.shape[1]`` leaves (the rest to 0) and rebuild every sum, level by level.

        Gives bit for bit the tree that ``update`` calls leave behind (each node is always
        left + right), so a checkpoint need only hold the leaves."""
        n = priority.shape[1]
        if n > self.capacity:
            raise ValueError(f"{n} priorities do not fit a tree of {self.capacity} leaves")
        self.tree.zero_()
        self.tree[:, self.capacity:self.capacity + n] = priority.to(self.tree)
        lo = self.capacity // 2
        while lo >= 1:
            self.tree[:, lo:2 * lo] = self.tree[:, 2 * lo:4 * lo:2] + self.tree[:, 2 * lo + 1:4 * lo:2]
            lo //= 2

    def update(self, index: Tensor, priority: Tensor) -> None:
        """Set leaves ``index`` (runs, n) to ``priority`` (runs, n) and refresh their ancestors.

        Priorities must be finite and non-negative; this is not checked here, on the hot path of
        Balanced Replay, since a check would wait for the device every step."""
        flat = self.tree.view(-1)
        node = index.to(self.device) + self.capacity
        flat[self._flat(node)] = priority.to(flat.dtype)
        self.max_priority = torch.maximum(self.max_priority, priority.to(flat.dtype).max(dim=1).values)
        for _ in range(self.depth):
            node = node // 2
            flat[self._flat(node)] = flat[self._flat(2 * node)] + flat[self._flat(2 * node + 1)]

    def find(self, mass: Tensor) -> Tensor:
        """Leaf index holding cumulative ``mass`` (runs, n), each value in [0, total)."""
        flat = self.tree.view(-1)
        node = torch.ones_like(mass, dtype=torch.long)
        mass = mass.clone()
        for _ in range(self.depth):
            left = flat[self._flat(2 * node)]
            go_right = mass >= left
            mass = torch.where(go_right, mass - left, mass)
            node = 2 * node + go_right.long()
        return node - self.capacity

    def sample(self, batch: int, generators: list[torch.Generator], size: int) -> Tensor:
        """Stratified indices (runs, batch) proportional to priority, among the first ``size`` leaves."""
        u = torch.stack([torch.rand(batch, generator=g, device=self.device, dtype=torch.float64)
                         for g in generators])
        segment = self.total[:, None] / batch
        mass = (torch.arange(batch, device=self.device, dtype=torch.float64) + u) * segment
        return self.find(mass).clamp_(max=size - 1)
