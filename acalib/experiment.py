"""One offline or online run, from names to a finished run directory (used by the CLI and notebooks)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from .algos import OFFLINE_ALGOS, SAC, SACConfig, algo_class
from .data.buffers import ReplayBuffer
from .methods import ONLINE_BUFFER_SIZE, aligned_agent, check_start, make_one, method_entry, online_config
from .data.datasets import load_dataset, reload_dataset
from .envs import D4RL_REF_SCORES, EnvBatch
from .runs import RunDir
from .checkpoint import load_checkpoint
from .train.loop import LoopSettings, train_offline, train_online

def resolve_device(device: str) -> str:
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"device {device!r} asked for, but no CUDA device is available; use 'cpu' or 'auto'")
    if not (device == "cpu" or device.startswith("cuda")):
        raise ValueError(f"unknown device {device!r}; valid: 'cpu', 'cuda', 'cuda:N', 'auto'")
    return device


def env_dims(env: str) -> tuple[int, int]:
    probe = EnvBatch(env, 1, [0])
    dims = probe.obs_dim, probe.act_dim
    probe.close()
    return dims


def check_dims(what: str, have: tuple[int, int], env: str) -> None:
    want = env_dims(env)
    if have != want:
        raise ValueError(f"{what} has (obs_dim, act_dim) = {have} but environment {env!r} has {want}")


def inductor_cache(run: RunDir) -> Path:
    """Where compiled updates are cached: beside the run, under the runs' folder (a later run reuses them)."""
    return run.path.parent / ".inductor-cache"


# Compile where it is repaid: on this CPU (README "Speed") compiling takes 14-25 s once per process and saves
# 3-16 ms per update, so it pays from ~1,500 updates (SAC+ML, 5 seeds) to ~7,000 (SAC, 1 seed); 10,000 with margin.
COMPILE_MIN_UPDATES = 10_000


def resolve_compile(cls, compile: bool | None, updates: int, cuda_graph: bool = False) -> bool:
    """Whether a run's updates are compiled. ``None`` (auto): where the compile time is repaid, i.e. for runs
    of at least ``COMPILE_MIN_UPDATES`` updates of a method that can be compiled, unless a hand-captured CUDA
    graph was asked for. ``True`` is refused, before anything is written, for a method that cannot be compiled
    and together with ``cuda_graph`` (a compiled update on a GPU is already replayed as a CUDA graph)."""
    if compile is None:
        return not cls.no_compile_reason and not cuda_graph and updates >= COMPILE_MIN_UPDATES
    if compile and cls.no_compile_reason:
        raise ValueError(f"{cls.name} {cls.no_compile_reason}; run it without --compile")
    if compile and cuda_graph:
        raise ValueError("--compile and --cuda-graph both asked for: a compiled update on a GPU is already replayed "
                         "as a CUDA graph; pass one of them")
    return bool(compile)


def loop_record(loop: LoopSettings, *extra: str) -> dict:
    """The loop settings a run's config records."""
    return {k: getattr(loop, k) for k in ("eval_interval", "eval_episodes", "checkpoint_interval", *extra)}


def _described(spec: dict | None) -> dict:
    """The ``RunSpec`` a run was executed from (``spec.execute``), recorded in its config as ``"spec"``."""
    return {} if spec is None else {"spec": spec}


def _hold_and_train(run: RunDir, config: dict, defaults: dict, train) -> RunDir:
    """Hold the run directory (one process per run), check its config (or write it) and call
    ``train(resume)`` unless the run has finished."""
    with run.exclusive():
        resume = run.prepare(config, defaults=defaults)
        if not run.done:
            train(resume)
    return run


def run_offline(algo: str, dataset: str, seeds: list[int], steps: int, out: str | Path, *,
                device: str = "cpu", overrides: dict | None = None, settings: dict | None = None,
                size: int | None = None, d4rl_dir: str | None = None, cuda_graph: bool = False,
                compile: bool | None = None, spec: dict | None = None) -> RunDir:
    """Train ``algo`` offline on ``dataset`` for every seed at once; resumes an unfinished run.
    ``compile``: every update as one compiled program (``Agent.enable_compile``; None: where it is repaid,
    ``resolve_compile``); recorded in the config, not part of what makes the run: a run may resume in
    the other mode."""
    cls = algo_class(algo, OFFLINE_ALGOS)
    compile = resolve_compile(cls, compile, steps, cuda_graph)
    device = resolve_device(device)
    config = cls.config_cls.from_dict(overrides or {})
    ds = load_dataset(dataset, d4rl_dir=d4rl_dir, size=size)
    loop = LoopSettings(steps=steps, **(settings or {}))
    data = ds.transitions
    check_dims(f"dataset {ds.name}", (data.obs_dim, data.act_dim), ds.env)

    def train(resume: bool) -> None:
        agent = cls(config, data.obs_dim, data.act_dim, seeds, device, cuda_graph=cuda_graph)
        if hasattr(agent, "fit_normalizer"):
            agent.fit_normalizer(data)
        if compile:
            agent.enable_compile(inductor_cache(run))
        buffer = ReplayBuffer.from_transitions(data, len(seeds), device)
        train_offline(agent, buffer, run, ds.env, (ds.ref_min, ds.ref_max), loop, resume=resume)

    run = RunDir(out)
    return _hold_and_train(run, {"stage": "offline", "algo": algo, "dataset": ds.describe(), "seeds": seeds,
                                 "steps": steps, "hyperparameters": config.to_dict(), "device": device,
                                 "compiled": compile, "loop": loop_record(loop), **_described(spec)},
                          cls.config_cls().to_dict(), train)


def load_offline_agent(init: str | Path, device: str):
    """The final agent of a finished offline run, with its run config."""
    init_run = RunDir(init)
    cfg = init_run.config()
    if cfg.get("stage") != "offline":
        raise ValueError(f"{init} is not an offline run (stage {cfg.get('stage')!r})")
    if not init_run.final_checkpoint.is_file():
        raise FileNotFoundError(f"offline run {init} has not finished (no {init_run.final_checkpoint}); "
                                f"finish it with `acalib offline ... --out {init}`")
    state = load_checkpoint(init_run.final_checkpoint, device)["agent"]
    cls = algo_class(cfg["algo"], OFFLINE_ALGOS)
    agent = cls(cls.config_cls.from_dict(cfg["hyperparameters"]), state["obs_dim"], state["act_dim"],
                cfg["seeds"], device)
    agent.load_state(state)
    return agent, cfg


def _offline_start(method, algo: str, init, device: str, dataset: str | None, seeds: list[int] | None):
    """The offline agent ``init`` holds (checked against what ``method`` may start from), its run config, and
    the online run's dataset and seeds (the offline run's unless given; seeds must match)."""
    check_start(algo, RunDir(init).config().get("algo"), init)
    offline, init_cfg = load_offline_agent(init, device)
    if seeds is not None and list(seeds) != list(init_cfg["seeds"]):
        raise ValueError(f"online seeds {seeds} must equal the offline run's seeds {init_cfg['seeds']} "
                         f"(each online seed continues the offline model of the same seed)")
    return offline, init_cfg, dataset or init_cfg["dataset"]["name"], init_cfg["seeds"]


def run_online(algo: str, steps: int, out: str | Path, *, init: str | Path | None = None,
               dataset: str | None = None, env: str | None = None, seeds: list[int] | None = None,
               device: str = "cpu", overrides: dict | None = None, settings: dict | None = None,
               d4rl_dir: str | None = None, cuda_graph: bool = False, offline_data: bool = True,
               stop_when=None, compile: bool | None = None, spec: dict | None = None) -> RunDir:
    """Online fine-tuning from an offline run (``init``), or SAC from scratch on ``dataset``'s environment.

    What each method starts from, carries over and puts in its buffer is its entry in ``methods.ONLINE_METHODS``
    (ACA: alignment from the offline Z(s), the top-N offline episodes; SAC->SAC, CQL->SAC, AWAC->AWAC: the offline
    networks and alpha, every offline transition (paper App. E.1); BR: from an offline ensemble).
    ``offline_data=False``: the buffer starts empty (and ACA's beta grows, Table 4). SAC without ``init``: from
    scratch on ``env`` (scored with D4RL's reference returns where it has them) or on ``dataset``'s environment.
    ``stop_when(run)``, asked at every checkpoint, may end any online run early (the zoo's stopping rule).
    ``compile`` as in ``run_offline``.
    """
    method, _ = method_entry(algo)
    compile = resolve_compile(method.agent, compile, steps, cuda_graph)
    device = resolve_device(device)
    offline = init_cfg = None
    if init is not None:
        offline, init_cfg, dataset, seeds = _offline_start(method, algo, init, device, dataset, seeds)
    elif not method.from_scratch:
        raise ValueError(f"online algorithm {algo!r} starts from an offline run: pass --init DIR "
                         f"(make one with {make_one(method)})")
    if seeds is None or (dataset is None and env is None):
        raise ValueError("SAC from scratch needs --seeds and --env (or --dataset, for its environment and scores)")
    if dataset is None:
        return _run_scratch(env, seeds, steps, out, device, online_config(algo, overrides), settings, cuda_graph,
                            stop_when, compile)
    same_data = init_cfg is not None and dataset == init_cfg["dataset"]["name"]
    ds = reload_dataset(init_cfg["dataset"]) if same_data else load_dataset(dataset, d4rl_dir=d4rl_dir)
    data = ds.transitions
    if method.needs_offline_data and not offline_data:
        raise ValueError(method.needs_offline_data)
    config = online_config(algo, overrides, offline.config if offline else None, ds.name, offline_data)
    if offline is not None:
        agent, prefill = method.start(offline, config, cuda_graph), method.prefill(data, config, offline_data)
    else:  # SAC from scratch on the dataset's environment, scored with its reference returns
        agent, prefill = method.agent(config, data.obs_dim, data.act_dim, seeds, device, cuda_graph), data.take(np.arange(0))
    check_dims("agent", (agent.obs_dim, agent.act_dim), ds.env)
    loop = LoopSettings(steps=steps, **(settings or {}))

    def train(resume: bool) -> None:
        if compile:
            agent.enable_compile(inductor_cache(run))
        buffer = method.make_buffer(agent, data, prefill, config, device, steps)
        train_online(agent, buffer, run, ds.env, (ds.ref_min, ds.ref_max), loop, resume=resume, stop_when=stop_when)

    run = RunDir(out)
    return _hold_and_train(run, {"stage": "online", "algo": algo, "init": str(init) if init else None,
                                 "init_algo": init_cfg["algo"] if init else None, "dataset": ds.describe(),
                                 "seeds": seeds, "steps": steps, "hyperparameters": config.to_dict(),
                                 "buffer_prefill": len(prefill), "offline_data": offline_data, "device": device,
                                 "compiled": compile, "loop": loop_record(loop), **_described(spec)},
                          type(config)().to_dict(), train)


def _run_scratch(env: str, seeds: list[int], steps: int, out, device: str, config: SACConfig,
                 settings: dict | None, cuda_graph: bool, stop_when=None, compile: bool | None = None) -> RunDir:
    """SAC from scratch on an environment, with no dataset at all."""
    obs_dim, act_dim = env_dims(env)
    loop = LoopSettings(steps=steps, **(settings or {}))
    ref = D4RL_REF_SCORES.get(env, (0.0, 1.0))

    def train(resume: bool) -> None:
        agent = SAC(config, obs_dim, act_dim, seeds, device, cuda_graph)
        if compile:
            agent.enable_compile(inductor_cache(run))
        buffer = ReplayBuffer(len(seeds), ONLINE_BUFFER_SIZE, obs_dim, act_dim, device, max_added=steps)
        train_online(agent, buffer, run, env, ref, loop, resume=resume, stop_when=stop_when)

    run = RunDir(out)
    return _hold_and_train(run, {"stage": "online", "algo": "sac", "init": None, "env": env, "seeds": seeds,
                                 "steps": steps, "hyperparameters": config.to_dict(), "device": device,
                                 "reference_scores": {"min": ref[0], "max": ref[1],
                                                      "source": "d4rl" if env in D4RL_REF_SCORES else "none"},
                                 "compiled": compile, "loop": loop_record(loop, "policy_snapshots")}, SACConfig().to_dict(), train)



ACTOR_ONLY_CRITICS = ("offline", "aligned")


def run_actor_only(init: str | Path, dataset: str, steps: int, out: str | Path, *, critic: str = "offline",
                   device: str = "cpu", settings: dict | None = None, size: int | None = None,
                   spec: dict | None = None) -> RunDir:
    """The controlled actor-only experiment (paper Sec. 4, App. B.2): load an offline run's actor
    and critic, freeze the critic, collect no data, and take SAC-style actor and temperature
    steps (AWAC-style for AWAC) on the states of another dataset (``dataset``, e.g. the random
    level: out-of-distribution states), evaluating as it goes.

    ``critic="offline"``: the offline Q. ``critic="aligned"``: the aligned Q = k clip(log pi0) + R
    with R <- Z at the switch (ACA's alignment, its group's k schedule), alpha reset to 1.
    """
    if critic not in ACTOR_ONLY_CRITICS:
        raise ValueError(f"unknown critic {critic!r}; valid: {ACTOR_ONLY_CRITICS}")
    device = resolve_device(device)
    offline, init_cfg = load_offline_agent(init, device)
    if critic == "aligned":
        agent = aligned_agent(offline, init_cfg["dataset"]["name"])
    else:
        agent = offline
        agent.step = 0  # count actor-only steps from the switch
    ds = load_dataset(dataset, size=size)
    check_dims(f"dataset {ds.name}", (ds.transitions.obs_dim, ds.transitions.act_dim), init_cfg["dataset"]["env"])
    loop = LoopSettings(steps=steps, **(settings or {}))
    ref = init_cfg["dataset"]["ref_min_score"], init_cfg["dataset"]["ref_max_score"]

    def train(resume: bool) -> None:
        buffer = ReplayBuffer.from_transitions(ds.transitions, agent.runs, device)
        train_offline(agent, buffer, run, init_cfg["dataset"]["env"], ref, loop, resume=resume, stage="actor_only",
                      update=agent.actor_only_update)

    run = RunDir(out)
    return _hold_and_train(run, {"stage": "actor_only", "algo": init_cfg["algo"], "critic": critic, "init": str(init),
                                 "dataset": ds.describe(), "offline_dataset": init_cfg["dataset"]["name"],
                                 "seeds": agent.seeds, "steps": steps, "hyperparameters": agent.config.to_dict(),
                                 "device": device, "loop": loop_record(loop), **_described(spec)},
                          type(agent.config)().to_dict(), train)
