"""Per-run random streams.

Every run (seed) owns independent generators, one per purpose, so what a run draws
never depends on which other seeds share the process: network initialisation (CPU),
training noise and minibatch indices (on the training device), environment resets and
evaluation. A stream's torch seed is ``100 * seed + offset``.
"""
from __future__ import annotations

import torch

STREAMS = {"init": 0, "noise": 1, "data": 2, "env": 3, "eval": 4, "init_baseline": 5, "init_density": 6}


def stream_seed(seed: int, stream: str) -> int:
    if stream not in STREAMS:
        raise ValueError(f"unknown random stream {stream!r}; valid: {sorted(STREAMS)}")
    return 100 * int(seed) + STREAMS[stream]


def generators(seeds: list[int], stream: str, device: str | torch.device = "cpu") -> list[torch.Generator]:
    """One generator per seed for ``stream`` on ``device``."""
    return [torch.Generator(device=device).manual_seed(stream_seed(s, stream)) for s in seeds]


def normal(gens: list[torch.Generator], shape: tuple[int, ...], device: torch.device) -> torch.Tensor:
    """Standard normal noise of shape (runs, *shape), each run drawn from its own generator."""
    return torch.stack([torch.randn(shape, generator=g, device=device) for g in gens])


def randint(gens: list[torch.Generator], high: int, size: int, device: torch.device) -> torch.Tensor:
    """Indices in [0, high) of shape (runs, size), each run drawn from its own generator."""
    return torch.stack([torch.randint(high, (size,), generator=g, device=device) for g in gens])


def parse_seeds(text: str) -> list[int]:
    """'0-4' -> [0, 1, 2, 3, 4]; '0,3,7' -> [0, 3, 7]; '2' -> [2]."""
    seeds: list[int] = []
    try:
        for part in str(text).split(","):
            if "-" in part.strip()[1:]:
                lo, hi = part.split("-", 1)
                seeds.extend(range(int(lo), int(hi) + 1))
            else:
                seeds.append(int(part))
    except ValueError:
        raise ValueError(f"bad seeds {text!r}; use e.g. '0-4', '0,3,7' or '2'") from None
    if not seeds or len(set(seeds)) != len(seeds) or min(seeds) < 0:
        raise ValueError(f"bad seeds {text!r}: need distinct non-negative integers, e.g. '0-4'")
    return seeds


def uniform(gens: list[torch.Generator], shape: tuple[int, ...], device: torch.device,
            low: float = -1.0, high: float = 1.0) -> torch.Tensor:
    """U(low, high) of shape (runs, *shape), each run drawn from its own generator."""
    return torch.stack([torch.rand(shape, generator=g, device=device) for g in gens]) * (high - low) + low
