"""Read D4RL-format HDF5 files with h5py (the ``d4rl`` package itself cannot run on a current stack)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .buffers import Transitions

REQUIRED = ("observations", "actions", "rewards", "terminals", "timeouts")


def read_d4rl_hdf5(path: str | Path) -> Transitions:
    """Transitions from a D4RL file (observations/actions/rewards/terminals/timeouts[/next_observations]).

    Without ``next_observations``, transition i is (obs[i], act[i], rew[i], obs[i+1]) and is
    dropped where ``timeouts[i]`` is set (its next observation is the next episode's start),
    as D4RL's ``qlearning_dataset`` does; the step before a drop is then an episode cut.
    """
    import h5py

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"D4RL file {path} does not exist")
    try:
        with h5py.File(path, "r") as f:
            missing = [k for k in REQUIRED if k not in f]
            if missing:
                raise ValueError(f"D4RL file {path} lacks datasets {missing}; it has {sorted(f.keys())}")
            arr = {k: np.asarray(f[k]) for k in REQUIRED}
            next_obs = np.asarray(f["next_observations"]) if "next_observations" in f else None
    except OSError as e:
        raise ValueError(f"D4RL file {path} is not a readable HDF5 file: {e}") from None
    n = len(arr["observations"])
    bad = {k: len(v) for k, v in {**arr, "next_observations": next_obs}.items() if v is not None and len(v) != n}
    if bad:
        raise ValueError(f"D4RL file {path}: lengths differ from observations ({n}): {bad}")
    terminals, timeouts = arr["terminals"].astype(bool), arr["timeouts"].astype(bool)
    if next_obs is not None:
        return Transitions(arr["observations"], arr["actions"], arr["rewards"], next_obs, terminals, timeouts)
    keep = np.flatnonzero(~timeouts[:-1])  # the last row has no successor
    cut = np.zeros(n, bool)
    cut[:-1] = timeouts[1:]  # the step right before a dropped timeout step ends its episode
    return Transitions(arr["observations"][keep], arr["actions"][keep], arr["rewards"][keep],
                       arr["observations"][keep + 1], terminals[keep], cut[keep] & ~terminals[keep])
