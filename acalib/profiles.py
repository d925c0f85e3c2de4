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
    long_online_steps: int = 200_000  # Table 3 (ACA vs ODT/IQL at 200k online steps)
    long_seeds: tuple[int, ...] = tuple(range(10))  # Table 3: 10 seeds
    awac_online_steps: int = 500_000  # Table 7 (500k online steps vs AWAC)
    actor_only_steps: int = 10_000  # Figs. 1b, 2, 3, 10, 11: actor-only updates
    actor_only_eval_interval: int = 100
    burn_in_steps: int = 50_000  # Figs. 14/15: critic-only online steps before fine-tuning
    probe_states: int = 100  # Figs. 4, 20, 21: states per distribution in the Q probes
    level_override: str | None = None  # every artifact uses this level instead of its own (tiny: no zoo needed)
    max_levels: int | None = None  # an artifact uses at most this many of its levels, the first ones (smoke)
    ensemble_size: int = 5  # CQL->BR, SAC+ML->BR: offline ensemble members per seed (BR and the paper: 5)


PROFILES = {
    # CI: every notebook in a few minutes on a 2-core CPU; numbers mean nothing at this size.
    # 400 online steps: a run whose buffer starts empty (ACA on random/medium) makes 144 updates of 256.
    "tiny": Profile("tiny", ("hopper",), ("random",), (0, 1), 200, 400, 100, 2, 20_000, 200,
                    long_online_steps=500, long_seeds=(0, 1), awac_online_steps=500, actor_only_steps=100,
                    actor_only_eval_interval=50, burn_in_steps=100, probe_states=8, ensemble_size=2,
                    level_override="random"),
    # `make reproduce`: every artifact at a reduced grid, well under an hour on a 2-core CPU.
    "smoke": Profile("smoke", ("hopper",), ("random",), (0, 1), 1_000, 2_000, 500, 3, 100_000, 1_000,
                     long_online_steps=4_000, long_seeds=(0, 1, 2), awac_online_steps=4_000,
                     actor_only_steps=1_000, actor_only_eval_interval=200, burn_in_steps=1_000, probe_states=50,
                     ensemble_size=2, max_levels=1),
    # hours on a CPU, minutes on a GPU.
    "lite": Profile("lite", ("hopper",), ("random", "medium", "medium-replay", "medium-expert", "expert"),
                    (0, 1, 2), 100_000, 50_000, 5_000, 10, None, long_online_steps=100_000,
                    long_seeds=(0, 1, 2, 3, 4), awac_online_steps=100_000, burn_in_steps=10_000),
    # the paper's protocol (Sec. 6.1, App. E.1).
    "paper": Profile("paper", ("halfcheetah", "hopper", "walker2d"),
                     ("random", "medium", "medium-replay", "medium-expert", "expert"),
                     (0, 1, 2, 3, 4), 500_000, 100_000, 1_000, 10, None),
}


def get_profile(name: str) -> Profile:
    if name not in PROFILES:
        raise ValueError(f"unknown profile {name!r}; valid: {list(PROFILES)}")
    return PROFILES[name]
