"""Dataset names -> transitions, with the source and reference scores recorded.

A name such as ``hopper-random`` resolves, in this order, to
1. a D4RL-format HDF5 file ``<d4rl_dir>/hopper-random-v2.hdf5`` when a D4RL directory is
   given (``--d4rl-dir`` or ``D4RL_DATASET_DIR``), scored with D4RL's reference returns;
2. a local Minari dataset when the name is a Minari id (contains '/');
3. acalib's generated Minari dataset ``acalib/<env>/<level>-v0``, built on first use.
Nothing is ever downloaded.
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..envs import D4RL_REF_SCORES, ENVS, EnvBatch, env_id, torch_threads
from . import minari_io
from .buffers import Transitions
from .zoo import zoo_root

LEVELS = ("random", "medium", "medium-replay", "medium-expert", "expert")
GENERATED_LEVELS = ("random",)  # levels that need no behaviour-policy zoo
GENERATOR_VERSION = 1
NO_ZOO_SCORES = "d4rl (no zoo for this environment yet)"  # reference scores of a level built before its zoo


@dataclass
class Dataset:
    name: str  # canonical '<env>-<level>'
    env: str
    level: str
    transitions: Transitions
    ref_min: float
    ref_max: float
    source: str  # 'd4rl:<path>', 'minari:<id>'
    checksum: str | None = None  # SHA-256 of a foreign dataset's file(s), recorded in its runs' configs

    def describe(self) -> dict:
        out = {"name": self.name, "env": self.env, "level": self.level, "source": self.source,
               "size": len(self.transitions), "ref_min_score": self.ref_min, "ref_max_score": self.ref_max}
        return out | ({"sha256": self.checksum} if self.checksum else {})


def parse_name(name: str) -> tuple[str, str]:
    """'hopper-medium-replay' (optionally with '-v2') -> ('hopper', 'medium-replay')."""
    stem = name.lower()
    for suffix in ("-v0", "-v1", "-v2"):
        stem = stem.removesuffix(suffix)
    env, _, level = stem.partition("-")
    if env not in ENVS or env not in D4RL_REF_SCORES:
        valid = sorted(e for e in ENVS if e in D4RL_REF_SCORES)
        raise ValueError(f"unknown environment {env!r} in dataset name {name!r}; valid: {valid}")
    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r} in dataset name {name!r}; valid: {list(LEVELS)}")
    return env, level


DEFAULT_SIZE = 1_000_000


def generated_id(env: str, level: str, size: int | None = None) -> str:
    """``acalib/<env>/<level>-v0`` at the default size, ``acalib/<env>/<level>-<size>-v0`` otherwise."""
    if size is None or size == default_size(env, level):
        return f"acalib/{env}/{level}-v0"
    if size <= 0:
        raise ValueError(f"dataset size must be positive, got {size}")
    return f"acalib/{env}/{level}-{size}-v0"


def load_dataset(name: str, d4rl_dir: str | None = None, size: int | None = None,
                 rebuild_outdated: bool = True) -> Dataset:
    """Resolve ``name`` (see module docstring) and load its transitions. A generated level is
    built if missing, and built again if ``outdated`` (unless ``rebuild_outdated`` is False)."""
    if "/" in name and not name.startswith("acalib/"):
        data, meta = minari_io.read(name)
        env = name.split("/")[1] if name.count("/") >= 2 else name
        digest = ",".join(f"{k}:{v}" for k, v in minari_io.data_checksums(minari_io.dataset_path(name)).items())
        return Dataset(name, env, name.rsplit("/", 1)[-1], data, float(meta.get("ref_min_score", np.nan)),
                       float(meta.get("ref_max_score", np.nan)), f"minari:{name}", digest)
    env, level = parse_name(name.removeprefix("acalib/").replace("/", "-"))
    d4rl_dir = d4rl_dir or os.environ.get("D4RL_DATASET_DIR")
    if d4rl_dir:
        from .d4rl import read_d4rl_hdf5
        path = Path(d4rl_dir) / f"{env}-{level}-v2.hdf5"
        if not path.is_file():
            raise FileNotFoundError(f"D4RL directory {d4rl_dir} has no file {path.name}")
        lo, hi = D4RL_REF_SCORES[env]
        return Dataset(f"{env}-{level}", env, level, read_d4rl_hdf5(path), lo, hi, f"d4rl:{path}",
                       minari_io.file_sha256(path))
    dataset_id = generated_id(env, level, size)
    if rebuild_outdated or not minari_io.exists(dataset_id):
        build_dataset(env, level, size=size)  # returns at once when built and current
    data, meta = minari_io.read(dataset_id)
    expected = size or default_size(env, level)
    if len(data) != expected:
        raise ValueError(f"{minari_io.dataset_path(dataset_id)} holds {len(data)} transitions, "
                         f"{expected} expected: the dataset is damaged; delete it and build it again")
    return Dataset(f"{env}-{level}", env, level, data, float(meta["ref_min_score"]), float(meta["ref_max_score"]),
                   f"minari:{dataset_id}")


def dataset_identity(name: str, d4rl_dir: str | None = None, size: int | None = None, build: bool = True) -> dict:
    """What ``load_dataset(name, d4rl_dir, size)`` resolves to, without reading its transitions: the
    source, reference scores and generator description (a generated dataset is built first if missing,
    or built again if ``outdated``; with ``build=False`` a generated level that is not built here is
    described from its zoo and reference scores instead, as its build would write it).
    Run caches key on it: a dataset rebuilt differently (e.g. scored by its zoo once that exists)
    trains new runs instead of clashing with the old ones."""
    if "/" in name and not name.startswith("acalib/"):
        dataset_id = name
    else:
        env, level = parse_name(name.removeprefix("acalib/").replace("/", "-"))
        d4rl_dir = d4rl_dir or os.environ.get("D4RL_DATASET_DIR")
        if d4rl_dir:
            lo, hi = D4RL_REF_SCORES[env]
            return {"source": f"d4rl:{Path(d4rl_dir) / f'{env}-{level}-v2.hdf5'}", "ref_min_score": lo,
                    "ref_max_score": hi}
        dataset_id = generated_id(env, level, size)
        if not build and (not minari_io.exists(dataset_id) or outdated(dataset_id, env)):
            lo, hi, ref_source = reference_scores(env, compute=False)
            n = size or default_size(env, level)
            return {"source": f"minari:{dataset_id}", "ref_min_score": lo, "ref_max_score": hi, "total_steps": n,
                    "algorithm_name": GENERATOR_ALGORITHM,
                    "description": generated_description(env, level, n, 0, ref_source)}
        dataset_id = build_dataset(env, level, size=size)
    meta = _metadata(dataset_id)
    return {"source": f"minari:{dataset_id}", **{k: meta.get(k) for k in (
        "ref_min_score", "ref_max_score", "total_steps", "algorithm_name", "description")}}


def rollout(env: str, policy, n_transitions: int, n_envs: int, seed: int) -> Transitions:
    """Roll out ``policy(obs (n_envs, obs_dim)) -> actions`` in ``n_envs`` environments until
    ``n_transitions`` are stored; episodes are kept whole in order, time-limit cuts are timeouts."""
    with torch_threads(1):
        return _rollout(env, policy, n_transitions, n_envs, seed)


def _rollout(env: str, policy, n_transitions: int, n_envs: int, seed: int) -> Transitions:
    envs = EnvBatch(env, n_envs, [seed * 1000 + i for i in range(n_envs)])
    per_env = [{k: [] for k in ("o", "a", "r", "o2", "t", "end")} for _ in range(n_envs)]
    episodes: list[Transitions] = []
    total = 0
    while total < n_transitions:
        a = policy(envs.obs)
        o, r, o2, term, end = envs.step(a)
        for i in range(n_envs):
            buf = per_env[i]
            for k, v in zip(("o", "a", "r", "o2", "t", "end"), (o[i], a[i], r[i], o2[i], term[i], end[i])):
                buf[k].append(v)
            if end[i]:
                ep = Transitions(np.array(buf["o"]), np.array(buf["a"]), np.array(buf["r"]), np.array(buf["o2"]),
                                 np.array(buf["t"]), np.array(buf["end"]) & ~np.array(buf["t"]))
                episodes.append(ep)
                total += len(ep)
                per_env[i] = {k: [] for k in buf}
    envs.close()
    data = Transitions.concatenate(episodes)
    data = data.take(np.arange(n_transitions))
    data.timeouts[-1] = not data.terminals[-1]  # the last, possibly cut, episode ends here
    return data


def random_policy(env: str, seed: int):
    """A randomly initialised squashed-Gaussian policy with stochastic actions (D4RL 'random')."""
    from ..nets import SquashedGaussianPolicy
    from .. import seeding

    probe = EnvBatch(env, 1, [0])
    obs_dim, act_dim = probe.obs_dim, probe.act_dim
    probe.close()
    policy = SquashedGaussianPolicy(obs_dim, act_dim, (256, 256), seeding.generators([seed], "init"))
    gen = seeding.generators([seed], "noise")

    @torch.no_grad()
    def act(obs: np.ndarray) -> np.ndarray:
        mean, log_std = policy.distribution(torch.as_tensor(obs).unsqueeze(0))
        return policy.rsample(mean, log_std, seeding.normal(gen, tuple(mean.shape[1:]), mean.device)[0])[0][0].numpy()

    return act


def default_size(env: str, level: str) -> int:
    """1M transitions; medium-replay: the length of its window (the medium step); medium-expert: 2M."""
    if level == "medium-replay":
        from .zoo import zoo_metadata
        return int(zoo_metadata(env)["medium_step"])
    return 2 * DEFAULT_SIZE if level == "medium-expert" else DEFAULT_SIZE


def reference_scores(env: str, episodes: int = 100, compute: bool = True) -> tuple[float, float, str]:
    """(ref_min, ref_max, source): the random policy's and the zoo expert's mean return over
    ``episodes`` episodes (random: stochastic actions; expert: the deterministic tanh(mu)),
    cached in ``zoo/<env>/reference_scores.json``; D4RL's where this environment has no zoo yet.
    ``compute=False``: a zoo without the cached scores raises instead of computing them."""
    from .zoo import load_zoo_policy, zoo_metadata
    try:
        meta = zoo_metadata(env)
    except FileNotFoundError:
        lo, hi = D4RL_REF_SCORES[env]
        return lo, hi, NO_ZOO_SCORES
    cache = zoo_root() / env / "reference_scores.json"
    if cache.is_file():
        c = json.loads(cache.read_text())
        return c["ref_min_score"], c["ref_max_score"], c["source"]
    if not compute:
        raise FileNotFoundError(f"{cache} is missing: build a level of {env!r} once to compute its reference scores")
    lo = float(np.mean(episode_returns(env, random_policy(env, 0), episodes)))
    expert = load_zoo_policy(env, meta["expert_step"])
    hi = float(np.mean(episode_returns(env, lambda o: torch.tanh(expert.distribution(
        torch.as_tensor(o).unsqueeze(0))[0])[0].numpy(), episodes)))
    source = f"acalib zoo: random policy (stochastic) and expert step {meta['expert_step']} (deterministic), " \
             f"{episodes} episodes each"
    from ..runs import write_json_atomic
    write_json_atomic(cache, {"ref_min_score": lo, "ref_max_score": hi, "source": source})
    return lo, hi, source


@torch.no_grad()
def episode_returns(env: str, policy, episodes: int, n_envs: int = 10, seed: int = 12345) -> list[float]:
    """Returns of ``episodes`` complete episodes of ``policy``."""
    envs = EnvBatch(env, n_envs, [seed + i for i in range(n_envs)])
    returns: list[float] = []
    while len(returns) < episodes:
        envs.step(policy(envs.obs))
        returns = [r for rs in envs.completed_returns for r in rs]
    envs.close()
    return returns[:episodes]


def level_plan(env: str, level: str, size: int) -> tuple[list[tuple[int, int]], str]:
    """The zoo levels' (zoo step, transitions) rollouts and the level's description (what
    ``level_transitions`` rolls out, known without rolling out)."""
    if level == "random":
        return [], "a randomly initialised policy"
    if level == "medium-expert":
        return [], "the medium and expert levels concatenated"
    from .zoo import level_policies
    plan = level_policies(env, level)
    counts = [int(round(share * size)) for _, share in plan]
    counts[-1] = size - sum(counts[:-1])
    steps = [step for step, _ in plan]
    what = (f"zoo checkpoint {steps[0]} (stochastic actions)" if len(steps) == 1 else
            f"zoo checkpoints {steps} (stochastic actions, {counts[0]} transitions each): a reconstruction "
            f"of the replay buffer up to the medium checkpoint")
    return list(zip(steps, counts)), what


def level_transitions(env: str, level: str, size: int, seed: int, n_envs: int) -> tuple[Transitions, str]:
    """Roll out the level's behaviour policies; returns the transitions and a description."""
    plan, what = level_plan(env, level, size)
    if level == "random":
        return rollout(env, random_policy(env, seed), size, n_envs, seed), what
    if level == "medium-expert":
        half = size // 2
        parts = [load_dataset(f"{env}-{lv}", size=n).transitions for lv, n in (("medium", half),
                                                                              ("expert", size - half))]
        return Transitions.concatenate(parts), what
    from .zoo import as_action_fn, load_zoo_policy
    parts = [rollout(env, as_action_fn(load_zoo_policy(env, step), seed + i), n, n_envs, seed + i)
             for i, (step, n) in enumerate(plan) if n > 0]
    return Transitions.concatenate(parts), what


GENERATOR_ALGORITHM = f"acalib dataset factory v{GENERATOR_VERSION}"


def generated_description(env: str, level: str, size: int, seed: int, ref_source: str) -> str:
    """The description a generated level's metadata carries (part of every run's dataset identity)."""
    return (f"{level} level of {env_id(env)}: {size} transitions from {level_plan(env, level, size)[1]}; "
            f"seed {seed}; reference scores: {ref_source}")


def outdated(dataset_id: str, env: str) -> bool:
    """A generated level whose reference scores are no longer its environment's: built with D4RL's
    before the environment had a zoo, or from a zoo exported again since (a new expert changes the
    expert score, and with it the medium checkpoint). It is rebuilt, so that every level of an
    environment comes from, and is scored by, the zoo it has now."""
    try:
        meta = _metadata(dataset_id)
    except FileNotFoundError:  # removed by a process rebuilding it: ask again under the build lock
        return True
    lo, hi, _ = reference_scores(env)
    return not np.allclose([meta["ref_min_score"], meta["ref_max_score"]], [lo, hi], rtol=1e-9, atol=0.0)


def build_dataset(env: str, level: str, size: int | None = None, seed: int = 0, n_envs: int = 10) -> str:
    """Generate and store ``acalib/<env>/<level>-v0`` (or ``<level>-<size>-v0``); returns its id.

    Idempotent (an ``outdated`` level is built again); the Minari dataset appears only once
    completely written.
    """
    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r}; valid: {list(LEVELS)}")
    dataset_id = generated_id(env, level, size)
    if minari_io.exists(dataset_id) and not outdated(dataset_id, env):
        return dataset_id
    from ..runs import file_lock
    with file_lock(minari_io.datasets_root() / ".locks" / f"{dataset_id.replace('/', '_')}.lock"):
        if minari_io.exists(dataset_id) and not outdated(dataset_id, env):  # built while we waited
            return dataset_id
        minari_io.clean_interrupted(dataset_id)
        size = size or default_size(env, level)
        data, what = level_transitions(env, level, size, seed, n_envs)
        lo, hi, ref_source = reference_scores(env)
        if minari_io.exists(dataset_id):  # outdated: replaced only once its successor is ready
            minari_io.remove(dataset_id)
        minari_io.write(dataset_id, data, env_id(env), lo, hi, algorithm=GENERATOR_ALGORITHM,
                        description=generated_description(env, level, len(data), seed, ref_source))
    return dataset_id


def list_datasets() -> list[dict]:
    """Every '<env>-<level>' name with whether it is built here or needs the zoo."""
    rows = []
    for env in sorted(e for e in ENVS if e in D4RL_REF_SCORES and e != "ant"):
        for level in LEVELS:
            dataset_id = generated_id(env, level)
            if minari_io.exists(dataset_id):
                status = f"built ({dataset_id})" + (", outdated: rebuilt on next use" if outdated(dataset_id, env) else "")
            elif level in GENERATED_LEVELS or (zoo_root() / env / "metadata.json").is_file():
                status = "not built (generated on first use)"
            else:
                status = "needs the behaviour-policy zoo"
            rows.append({"name": f"{env}-{level}", "status": status})
    return rows


_GENERATED_ID = re.compile(r"^acalib/(?P<env>[a-z0-9]+)/(?P<level>[a-z-]+?)(?:-(?P<size>\d+))?-v0$")


def _metadata(dataset_id: str) -> dict:
    path = minari_io.dataset_path(dataset_id) / "data" / "metadata.json"
    try:
        return json.loads(path.read_text())
    except (ValueError, UnicodeDecodeError):
        raise ValueError(f"{path} is damaged (not JSON); delete {path.parent.parent} (and build it again if acalib "
                         f"generated it)") from None


def dataset_info(name: str, d4rl_dir: str | None = None) -> dict:
    """What ``name`` resolves to and its metadata, read without building or loading anything. ``name``
    is a dataset name ('hopper-random'), a generated id ('acalib/hopper/random-20000-v0', as built with
    ``--size``) or a Minari id. A generated level that is not built here raises FileNotFoundError
    saying how to build it."""
    match = _GENERATED_ID.match(name)
    if match:
        env, level = parse_name(f"{match['env']}-{match['level']}")
        size = int(match["size"]) if match["size"] else None
        dataset_id = name
    elif "/" in name:
        dataset_id, env, level, size = name, None, None, None
    else:
        env, level = parse_name(name)
        size = None
        d4rl_dir = d4rl_dir or os.environ.get("D4RL_DATASET_DIR")
        if d4rl_dir:
            path = Path(d4rl_dir) / f"{env}-{level}-v2.hdf5"
            if not path.is_file():
                raise FileNotFoundError(f"D4RL directory {d4rl_dir} has no file {path.name}")
            lo, hi = D4RL_REF_SCORES[env]
            return {"name": f"{env}-{level}", "source": f"d4rl:{path}", "bytes": path.stat().st_size,
                    "ref_min_score": lo, "ref_max_score": hi}
        dataset_id = generated_id(env, level)
    if not minari_io.exists(dataset_id):
        if env is None:
            raise FileNotFoundError(f"no local Minari dataset {dataset_id!r} under {minari_io.datasets_root()}")
        how = f"acalib datasets build {env}-{level}" + (f" --size {size}" if size else "")
        raise FileNotFoundError(f"{dataset_id} is not built here (under {minari_io.datasets_root()}); build it with "
                                f"`{how}`")
    meta = _metadata(dataset_id)
    out = {"name": f"{env}-{level}" if env else dataset_id, "source": f"minari:{dataset_id}",
           **{k: meta.get(k) for k in ("total_steps", "total_episodes", "ref_min_score", "ref_max_score",
                                       "algorithm_name", "description")}}
    if env is not None and dataset_id.startswith("acalib/"):
        out["outdated"] = outdated(dataset_id, env)
    return out


def reload_dataset(described: dict) -> Dataset:
    """The dataset a run used, from the ``describe()`` record in its config."""
    source = described["source"]
    if source.startswith("d4rl:"):
        ds = load_dataset(described["name"], d4rl_dir=str(Path(source[5:]).parent))
    elif source.startswith("minari:acalib/"):  # as it was, even if outdated since (the run's scores stay)
        return load_dataset(described["name"], size=described["size"], rebuild_outdated=False)
    else:
        ds = load_dataset(source.removeprefix("minari:"))
    if described.get("sha256") and ds.checksum != described["sha256"]:
        raise ValueError(f"dataset {source} changed since the run that used it (SHA-256 {described['sha256']} then, "
                         f"{ds.checksum} now); restore the file, or train that run again on the new data")
    return ds


def state_norms(names: list[str], d4rl_dir: str | None = None, size: int | None = None) -> dict[str, np.ndarray]:
    """L2 norm of every state of each dataset (the paper's Fig. 9 histograms: random vs medium vs expert);
    ``size``: transitions of generated datasets (None: each level's default)."""
    return {name: np.linalg.norm(load_dataset(name, d4rl_dir=d4rl_dir, size=size).transitions.observations, axis=1)
            for name in names}
