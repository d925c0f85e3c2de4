"""Run-size profiles: the same code at every scale. One place for every profile's numbers."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Profile:
    name: str
    envs: tuple[str, ...]
    levels: tuple[str, ...]
    seeds: tuple[int, ...]
    offline_steps: int
    online_steps: int
    eval_interval: int
    eval_episodes: int
    dataset_size: int | None  # transitions of generated datasets (None: the level's default)
    checkpoint_interval: int = 10_000


PROFILES = {
    # CI: the whole pipeline in a couple of minutes on a 2-core CPU.
    "tiny": Profile("tiny", ("hopper",), ("random",), (0, 1), 300, 300, 100, 2, 20_000, 300),
    # `make reproduce`: reduced grid, minutes on a 2-core CPU.
    "smoke": Profile("smoke", ("hopper",), ("random",), (0, 1), 5_000, 5_000, 1_000, 5, 100_000, 5_000),
    # hours on a CPU, minutes on a GPU.
    "lite": Profile("lite", ("hopper",), ("random", "medium", "medium-replay", "medium-expert", "expert"),
                    (0, 1, 2), 100_000, 50_000, 5_000, 10, None),
    # the paper's protocol (Sec. 6.1, App. E.1).
    "paper": Profile("paper", ("halfcheetah", "hopper", "walker2d"),
                     ("random", "medium", "medium-replay", "medium-expert", "expert"),
                     (0, 1, 2, 3, 4), 500_000, 100_000, 1_000, 10, None),
}


def get_profile(name: str) -> Profile:
    if name not in PROFILES:
        raise ValueError(f"unknown profile {name!r}; valid: {list(PROFILES)}")
    return PROFILES[name]
