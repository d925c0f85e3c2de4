"""Minari storage for ``Transitions``: write atomically, read back without any download."""
from __future__ import annotations

import os
import shutil
import tempfile
import warnings
from pathlib import Path

import numpy as np

from .buffers import Transitions


def datasets_root() -> Path:
    """Minari's dataset root: ``MINARI_DATASETS_PATH`` or ``~/.minari/datasets``."""
    root = os.environ.get("MINARI_DATASETS_PATH") or os.path.join(os.path.expanduser("~"), ".minari", "datasets")
    return Path(root)


def dataset_path(dataset_id: str) -> Path:
    return datasets_root() / dataset_id


def exists(dataset_id: str) -> bool:
    """A dataset counts as present only once its metadata file is in place (written last)."""
    return (dataset_path(dataset_id) / "data" / "metadata.json").is_file()


def remove(dataset_id: str) -> None:
    """Delete a dataset: renamed away first, so no half-deleted dataset is ever read."""
    path = dataset_path(dataset_id)
    gone = Path(tempfile.mkdtemp(prefix=".removing-", dir=datasets_root()))
    path.rename(gone / "dataset")
    shutil.rmtree(gone, ignore_errors=True)


def episodes_of(data: Transitions) -> list[dict]:
    """Split transitions into Minari episodes (observations hold T + 1 entries)."""
    episodes = []
    for s, e in data.episode_bounds():
        episodes.append({
            "observations": np.concatenate([data.observations[s:e], data.next_observations[e - 1:e]]),
            "actions": data.actions[s:e],
            "rewards": data.rewards[s:e],
            "terminations": data.terminals[s:e],
            "truncations": ~data.terminals[s:e] & np.r_[np.zeros(e - s - 1, bool), True],
        })
    return episodes


def write(dataset_id: str, data: Transitions, env_id: str, ref_min: float, ref_max: float,
          algorithm: str, description: str) -> None:
    """Create a Minari dataset from transitions. Written under a temporary root, then renamed
    into place, so an interrupted build never leaves something that looks like a dataset."""
    import minari
    from minari.data_collector.episode_buffer import EpisodeBuffer

    final = dataset_path(dataset_id)
    if final.exists():
        raise FileExistsError(f"Minari dataset {dataset_id!r} already exists at {final}")
    root = datasets_root()
    root.mkdir(parents=True, exist_ok=True)
    tmp_root = Path(tempfile.mkdtemp(prefix=".building-", dir=root))
    old = os.environ.get("MINARI_DATASETS_PATH")
    try:
        os.environ["MINARI_DATASETS_PATH"] = str(tmp_root)
        buffers = [EpisodeBuffer(id=i, observations=ep["observations"], actions=ep["actions"],
                                 rewards=list(ep["rewards"]), terminations=list(ep["terminations"]),
                                 truncations=list(ep["truncations"]))
                   for i, ep in enumerate(episodes_of(data))]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            minari.create_dataset_from_buffers(
                dataset_id, buffers, env=env_id, algorithm_name=algorithm, author="acalib",
                author_email="acalib@localhost", code_permalink="acalib", description=description,
                ref_min_score=float(ref_min), ref_max_score=float(ref_max), data_format="hdf5")
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp_root / dataset_id, final)
        ns = dataset_id.split("/")[0]
        ns_meta = tmp_root / ns / "namespace_metadata.json"
        if ns_meta.exists() and not (root / ns / "namespace_metadata.json").exists():
            os.replace(ns_meta, root / ns / "namespace_metadata.json")
    finally:
        if old is None:
            os.environ.pop("MINARI_DATASETS_PATH", None)
        else:
            os.environ["MINARI_DATASETS_PATH"] = old
        shutil.rmtree(tmp_root, ignore_errors=True)


def read(dataset_id: str) -> tuple[Transitions, dict]:
    """Load a local Minari dataset as transitions plus its metadata (never downloads)."""
    import minari

    if not exists(dataset_id):
        raise FileNotFoundError(f"no local Minari dataset {dataset_id!r} under {datasets_root()} "
                                f"(set MINARI_DATASETS_PATH, or build it with `acalib datasets build`)")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = minari.load_dataset(dataset_id, download=False)
    parts = {k: [] for k in ("observations", "actions", "rewards", "next_observations", "terminals", "timeouts")}
    for ep in ds.iterate_episodes():
        obs = np.asarray(ep.observations)
        n = len(ep.actions)
        if len(obs) != n + 1:
            raise ValueError(f"Minari dataset {dataset_id!r} is corrupt: episode {ep.id} has {len(obs)} "
                             f"observations for {n} actions (expected {n + 1})")
        parts["observations"].append(obs[:-1])
        parts["next_observations"].append(obs[1:])
        parts["actions"].append(np.asarray(ep.actions))
        parts["rewards"].append(np.asarray(ep.rewards))
        term = np.asarray(ep.terminations, bool)
        parts["terminals"].append(term)
        timeout = np.asarray(ep.truncations, bool) & ~term
        timeout[-1] = timeout[-1] or not term[-1]  # every Minari episode ends where it is stored
        parts["timeouts"].append(timeout)
    data = Transitions(**{k: np.concatenate(v) for k, v in parts.items()})
    meta = dict(ds.storage.metadata)
    return data, meta
