"""Minari storage for ``Transitions``: write atomically, read back without any download.

A dataset acalib generates carries ``acalib_checksums.json`` (the SHA-256 of each of its data files,
written with it); ``read`` verifies it, so a file damaged on disk is refused with its name. A foreign
dataset (a user's Minari dataset) has no such file: its runs record its checksum (``file_sha256``) in
their config at first use instead, and a changed file is refused when they resume.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import warnings
from pathlib import Path

import numpy as np

from .. import antmaze
from .buffers import Transitions


def datasets_root() -> Path:
    """Minari's dataset root: ``MINARI_DATASETS_PATH`` or ``~/.minari/datasets``."""
    root = os.environ.get("MINARI_DATASETS_PATH") or os.path.join(os.path.expanduser("~"), ".minari", "datasets")
    return Path(root)


def dataset_path(dataset_id: str) -> Path:
    return datasets_root() / dataset_id


CHECKSUMS = "acalib_checksums.json"


def file_sha256(path: str | Path, chunk: int = 1 << 22) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def data_checksums(dataset_dir: Path) -> dict[str, str]:
    """SHA-256 of every file under ``<dataset_dir>/data``, by name."""
    return {p.name: file_sha256(p) for p in sorted((dataset_dir / "data").iterdir()) if p.is_file()}


def verify(dataset_id: str) -> None:
    """Check a generated dataset's files against the checksums written with it (a dataset built before
    acalib wrote them gets them recorded now). A mismatch is an error naming the file."""
    path = dataset_path(dataset_id)
    record = path / CHECKSUMS
    if not record.is_file():
        if dataset_id.startswith("acalib/"):
            from ..runs import write_json_atomic
            write_json_atomic(record, data_checksums(path))
        return
    try:
        expected = json.loads(record.read_text())
    except (ValueError, UnicodeDecodeError):
        raise ValueError(f"{record} is damaged (not JSON); delete {path} and build the dataset again "
                         f"(`acalib datasets build ...`)") from None
    for name, digest in expected.items():
        file = path / "data" / name
        if not file.is_file() or file_sha256(file) != digest:
            raise ValueError(f"{file} is damaged or changed since it was built (SHA-256 mismatch); delete {path} "
                             f"and build the dataset again (`acalib datasets build ...`)")


def exists(dataset_id: str) -> bool:
    """A dataset counts as present only once its metadata file is in place (written last)."""
    return (dataset_path(dataset_id) / "data" / "metadata.json").is_file()


def clean_interrupted(dataset_id: str) -> list[Path]:
    """Remove what an interrupted build of ``dataset_id`` left behind (its ``.building-*`` folders).
    Called under the dataset's build lock, so no live build of it is touched."""
    stale = sorted(datasets_root().glob(f".building-{dataset_id.replace('/', '_')}-*"))
    for path in stale:
        shutil.rmtree(path, ignore_errors=True)
    return stale


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
    tmp_root = Path(tempfile.mkdtemp(prefix=f".building-{dataset_id.replace('/', '_')}-", dir=root))
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
        built = tmp_root / dataset_id
        (built / CHECKSUMS).write_text(json.dumps(data_checksums(built), indent=2))
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(built, final)
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
    verify(dataset_id)
    try:
        return _read(minari, dataset_id)
    except (OSError, KeyError, ValueError, TypeError, IndexError, UnicodeDecodeError) as e:
        if isinstance(e, ValueError) and str(e).startswith("Minari dataset"):
            raise
        raise ValueError(f"Minari dataset {dataset_id!r} at {dataset_path(dataset_id)} cannot be read "
                         f"({type(e).__name__}: {e}); it is damaged: delete it (and build it again if acalib "
                         f"generated it)") from None


ANTMAZE_KEYS = ["achieved_goal", "desired_goal", "observation"]


def _antmaze_offset(dataset_id: str, env_spec, keys: list[str]) -> np.ndarray:
    """A dict-observation dataset is read only as Minari's ``D4RL/antmaze/*`` are laid out: Gymnasium-Robotics'
    AntMaze on D4RL's U maze (its recorded ``maze_map``, or AntMaze_UMaze's own, which is the same U), converted to
    the 29-D observations in D4RL's frame that acalib's AntMaze evaluates in (``antmaze.gymnasium_robotics_offset``)."""
    from gymnasium_robotics.envs.maze import maps

    env_id = getattr(env_spec, "id", None)
    if keys != ANTMAZE_KEYS or not str(env_id).startswith("AntMaze_UMaze"):
        raise ValueError(f"Minari dataset {dataset_id!r} has dict observations ({keys}) of environment {env_id!r}; "
                         f"acalib reads flat ones, and dict ones only of Gymnasium-Robotics' AntMaze_UMaze (keys "
                         f"{ANTMAZE_KEYS}, as Minari's D4RL/antmaze/umaze*)")
    kwargs = env_spec.kwargs or {}
    try:
        return antmaze.gymnasium_robotics_offset(kwargs.get("maze_map", maps.U_MAZE), kwargs.get("maze_size_scaling", 4))
    except ValueError as e:
        raise ValueError(f"Minari dataset {dataset_id!r}: {e}") from None


def _read(minari, dataset_id: str) -> tuple[Transitions, dict]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = minari.load_dataset(dataset_id, download=False)
    parts = {k: [] for k in ("observations", "actions", "rewards", "next_observations", "terminals", "timeouts")}
    offset = None
    for ep in ds.iterate_episodes():
        if isinstance(ep.observations, dict):
            offset = _antmaze_offset(dataset_id, ds.env_spec, sorted(ep.observations)) if offset is None else offset
            try:
                obs = antmaze.from_gymnasium_robotics(ep.observations["observation"], ep.observations["achieved_goal"],
                                                      offset)
            except ValueError as e:
                raise ValueError(f"Minari dataset {dataset_id!r}, episode {ep.id}: {e}") from None
        else:
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
