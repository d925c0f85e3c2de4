"""Run-size profiles: the same code at every scale. One place for every profile's numbers."""
from __future__ import annotations

import re
from dataclasses import dataclass, replace


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
    checkpoint_interval: int | None = None  # None: at every evaluation (a kill loses at most one interval)
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
    offline_eval_interval: int | None = None  # offline runs' evaluation interval (None: eval_interval)
    # The offline baselines (BASELINE_ALGOS: CQL, AWAC, TD3+BC) may run smaller than SAC+ML:
    baseline_seeds: tuple[int, ...] | None = None  # None: seeds
    baseline_offline_steps: int | None = None  # None: offline_steps
    baseline_levels: tuple[str, ...] | None = None  # the only levels they are trained on (None: every level)
    restrict_levels: bool = False  # an artifact's levels are cut to the profile's levels (claims)
    actor_only_ood_levels: tuple[str, ...] = ("random",)  # states of the aligned-vs-offline actor-only runs (Fig. 3)
    antmaze_tasks: tuple[str, ...] = ("umaze", "umaze-diverse")  # Table 3's AntMaze rows and Fig. 12
    # notebooks (by name) and methods (an algorithm, or "algorithm:override" for a run with that override
    # set) that this profile does not run, with the reason the report gives
    left_out: tuple[tuple[str, str], ...] = ()

    def left_out_reason(self, name: str) -> str | None:
        """Why notebook or method ``name`` is not run at this profile (None: it is run)."""
        return dict(self.left_out).get(name)


CLAIMS_LEFT_OUT = (
    ("table3", "Table 3 needs 10 seeds at 200k online steps (and SAC+ML offline for them): beyond this profile's budget"),
    ("table7", "Table 7 needs 500k online steps per method: beyond this profile's budget"),
    ("cql_ensemble", "BR starts from 5 CQL runs per seed (≈ 50 single-core hours at 100k steps): beyond this profile"),
    ("sac_ml_ensemble", "BR's SAC+ML ensembles (5 runs per seed) are beyond this profile's budget"),
    ("br", "BR starts from offline ensembles that this profile does not train"),
    ("cql:fit_baseline", "CQL with a fitted Z(s) (CQL→ACA, Sec. 6.3) would be a second 100k-step CQL run: "
                         "beyond this profile's budget"),
)

PROFILES = {
    # CI: every notebook in a few minutes on a 2-core CPU; numbers mean nothing at this size.
    # 400 online steps: a run whose buffer starts empty (ACA on random/medium) makes 144 updates of 256.
    "tiny": Profile("tiny", ("hopper",), ("random",), (0, 1), 200, 400, 100, 2, 20_000,
                    long_online_steps=500, long_seeds=(0, 1), awac_online_steps=500, actor_only_steps=100,
                    actor_only_eval_interval=25, burn_in_steps=100, probe_states=8, ensemble_size=2,
                    level_override="random", antmaze_tasks=("umaze",)),
    # `make reproduce`: every artifact at a reduced grid, well under an hour on a 2-core CPU.
    "smoke": Profile("smoke", ("hopper",), ("random",), (0, 1), 1_000, 2_000, 500, 3, 100_000,
                     long_online_steps=4_000, long_seeds=(0, 1, 2), awac_online_steps=4_000,
                     actor_only_steps=1_000, actor_only_eval_interval=200, burn_in_steps=1_000, probe_states=50,
                     ensemble_size=2, max_levels=1, antmaze_tasks=("umaze",)),
    # The paper's claims C1-C6 trained on this CPU (README "Claims"): Hopper's random, medium and medium-replay
    # levels, 5 seeds, 200k SAC+ML steps, 50k online steps; CQL and AWAC on hopper-medium only (3 seeds, 100k).
    "claims": Profile("claims", ("hopper",), ("random", "medium", "medium-replay"), (0, 1, 2, 3, 4), 200_000,
                      50_000, 1_000, 10, None, offline_eval_interval=5_000,
                      actor_only_steps=10_000, actor_only_eval_interval=500, burn_in_steps=10_000,
                      baseline_seeds=(0, 1, 2), baseline_offline_steps=100_000, baseline_levels=("medium",),
                      restrict_levels=True, actor_only_ood_levels=("random", "medium-replay", "expert"),
                      antmaze_tasks=(), left_out=CLAIMS_LEFT_OUT),
    # ~387 single-core hours on the 2-core dev CPU, mostly CQL (README: estimated by `acalib cost`); a GPU job.
    "lite": Profile("lite", ("hopper",), ("random", "medium", "medium-replay", "medium-expert", "expert"),
                    (0, 1, 2), 100_000, 50_000, 5_000, 10, None, long_online_steps=100_000,
                    long_seeds=(0, 1, 2, 3, 4), awac_online_steps=100_000, burn_in_steps=10_000),
    # the paper's protocol (Sec. 6.1, App. E.1): ~12,700 single-core hours here (README, `acalib cost`).
    "paper": Profile("paper", ("halfcheetah", "hopper", "walker2d"),
                     ("random", "medium", "medium-replay", "medium-expert", "expert"),
                     (0, 1, 2, 3, 4), 500_000, 100_000, 1_000, 10, None),
}


# what ``scaled`` divides: every step count and interval of a profile
STEP_FIELDS = ("offline_steps", "online_steps", "long_online_steps", "awac_online_steps", "actor_only_steps",
               "burn_in_steps", "baseline_offline_steps")
EVAL_FIELDS = ("eval_interval", "actor_only_eval_interval", "offline_eval_interval")
BASELINE_ALGOS = ("cql", "awac", "td3_bc")  # the offline baselines that baseline_seeds/steps/levels size
MIN_SCALED_EVAL_INTERVAL = 50  # a scaled profile evaluates at most every 50 steps (``acalib cost`` extrapolates)
DEFAULT_DATASET_SIZE = 1_000_000  # datasets.DEFAULT_SIZE (not imported: profiles stays free of torch)
MIN_SCALED_DATASET_SIZE = 10_000
_SCALED = re.compile(r"^(?P<base>[a-z]+)(?:/|-div)(?P<divisor>\d+)$")


def scaled(profile: Profile, divisor: int) -> Profile:
    """``profile``'s grid (environments, levels, seeds, artifacts, ensembles) at 1/``divisor`` of its
    steps, evaluation intervals (no shorter than ``MIN_SCALED_EVAL_INTERVAL``) and dataset sizes (no
    smaller than ``MIN_SCALED_DATASET_SIZE``): the same runs, made quickly, to check a grid end to end
    or to estimate its cost (``acalib cost``). Checkpoints keep their interval (a scaled run saves at
    its end). Named ``<profile>-div<divisor>``."""
    if not isinstance(divisor, int) or isinstance(divisor, bool) or divisor < 1:
        raise ValueError(f"a profile's divisor must be a positive integer, got {divisor!r}")
    steps = {f: max(1, getattr(profile, f) // divisor) for f in STEP_FIELDS if getattr(profile, f) is not None}
    steps |= {f: max(getattr(profile, f) // divisor, min(getattr(profile, f), MIN_SCALED_EVAL_INTERVAL))
              for f in EVAL_FIELDS if getattr(profile, f) is not None}
    size = max(MIN_SCALED_DATASET_SIZE, (profile.dataset_size or DEFAULT_DATASET_SIZE) // divisor)
    return replace(profile, name=f"{profile.name}-div{divisor}", dataset_size=size, **steps)


def scale_of(profile: Profile) -> tuple[str, int]:
    """(base profile name, divisor) of a profile made by ``scaled``; (name, 1) otherwise."""
    match = _SCALED.match(profile.name)
    return (match["base"], int(match["divisor"])) if match else (profile.name, 1)


def get_profile(name: str) -> Profile:
    """A profile by name: one of ``PROFILES``, or ``<profile>/<divisor>`` (also spelt
    ``<profile>-div<divisor>``) for ``scaled(<profile>, <divisor>)``, e.g. ``lite/100``."""
    if name in PROFILES:
        return PROFILES[name]
    match = _SCALED.match(str(name))
    if match and match["base"] in PROFILES and int(match["divisor"]) >= 1:
        return scaled(PROFILES[match["base"]], int(match["divisor"]))
    raise ValueError(f"unknown profile {name!r}; valid: {list(PROFILES)}, or <profile>/<divisor> "
                     f"(e.g. 'lite/100': lite's grid at 1/100 of its steps)")
