"""The behaviour-policy zoo: SAC policies saved along one online training run per environment.

Trained with ``acalib zoo train --env <env>`` (SAC from scratch, a policy every 10k steps with its
evaluation return, stopped by the rule of ``converged``), then exported into ``zoo/<env>/`` by ``export_zoo``: the
checkpoints the five levels need, in float32, and ``metadata.json`` with every checkpoint's
step and return, the chosen medium step and how the run was trained.

Level rules (D4RL's definitions, on our own run):
- expert: the final policy: the first checkpoint where the stopping rule ``converged`` holds;
- medium: the first checkpoint whose evaluation return reaches one third of the expert's;
- medium-replay: every checkpoint from step 0 up to the medium one; each stands for its
  10k-step window of the replay buffer (a reconstruction: the real buffer mixed the policies
  between two checkpoints).
"""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pandas as pd
import torch

from .. import seeding
from ..nets import SquashedGaussianPolicy
from ..runs import RunDir, write_json_atomic
from ..checkpoint import load_checkpoint, save_checkpoint

ZOO_DIR = Path(__file__).resolve().parent.parent.parent / "zoo"  # committed with the repository
# resume points of unfinished zoo runs, committed so that a run longer than a session goes on on the next machine
ZOO_RESUME_DIR = Path(__file__).resolve().parent.parent.parent / "results" / "resume" / "zoo"
SNAPSHOT_POLICY_EVERY = 100_000  # the policy snapshots a zoo resume point carries: every 100k steps
MEDIUM_FRACTION = 1.0 / 3.0
EXPERT_ONLY_ENVS = ("antdir",)  # zoos that only supply an expert: AntMaze's behaviour policy has no levels of its own
MIN_ZOO_STEPS = 500_000  # a zoo run trains at least this long before its stopping rule may end it
CONVERGED_WINDOW, CONVERGED_TOLERANCE = 5, 0.10  # the stopping rule, see ``converged``
CONVERGED_HORIZON, CONVERGED_RISE = 100_000, 0.05  # ... and its "no longer rising" clause


def zoo_root() -> Path:
    """``ACALIB_ZOO_DIR`` if set, else the repository's ``zoo/``."""
    return Path(os.environ.get("ACALIB_ZOO_DIR") or ZOO_DIR)


def choose_medium(returns: pd.Series, expert_return: float) -> int:
    """The first step whose return reaches MEDIUM_FRACTION of the expert's (returns indexed by step)."""
    reached = returns[returns >= MEDIUM_FRACTION * expert_return]
    if reached.empty:
        raise ValueError(f"no checkpoint reaches {MEDIUM_FRACTION:.3f} x the expert return {expert_return:.1f}")
    return int(reached.index[0])


def converged(returns: pd.Series, window: int = CONVERGED_WINDOW, tolerance: float = CONVERGED_TOLERANCE,
              min_steps: int = MIN_ZOO_STEPS, horizon: int = CONVERGED_HORIZON, rise: float = CONVERGED_RISE) -> bool:
    """The zoo's stopping rule: training has run at least ``min_steps``, it is stable (the last
    ``window`` evaluations, 10 episodes each and 10k steps apart, all lie within ``tolerance`` of
    their mean) and no longer rising (the best return so far beats the best of the evaluations up
    to ``horizon`` steps ago by at most ``rise`` of it). SAC on Hopper keeps collapsing and
    recovering long after it first reaches its plateau, so "the final policy" is taken at the first
    stable stretch once the best return has stopped improving. ``returns`` is indexed by step."""
    returns = returns.sort_index()
    if returns.empty or returns.index[-1] < min_steps or len(returns) < window:
        return False
    last = returns.iloc[-window:]
    stable = (last - last.mean()).abs().max() <= tolerance * abs(last.mean())
    earlier = returns.loc[:returns.index[-1] - horizon]
    flat = not earlier.empty and returns.max() - earlier.max() <= rise * abs(earlier.max())
    return bool(stable and flat)


def first_converged_step(returns: pd.Series, **rule) -> int | None:
    """The first step at which ``converged`` holds for the returns up to it; None if never."""
    returns = returns.sort_index()
    for step in returns.index:
        if converged(returns.loc[:step], **rule):
            return int(step)
    return None


def stop_when_converged(run: RunDir) -> bool:
    """The zoo training loop's stopping test (``acalib zoo train``): has the run converged?"""
    metrics = pd.read_csv(run.metrics_path)
    return converged(metrics.groupby("step")["return"].mean())


def zoo_resume_root() -> Path:
    """``ACALIB_ZOO_RESUME_DIR`` if set, else the repository's ``results/resume/zoo/``."""
    return Path(os.environ.get("ACALIB_ZOO_RESUME_DIR") or ZOO_RESUME_DIR)


def snapshot_zoo_run(run_path: str | Path) -> Path:
    """An unfinished zoo run's resume point, ``<zoo_resume_root>/<run name>`` (``acalib zoo snapshot``): its
    checkpoint without the replay buffer (``runs.snapshot_run(drop_buffer=True)``: resumed, the run refills the
    buffer before it updates again), metrics, config, and its policy snapshots every ``SNAPSHOT_POLICY_EVERY``
    steps (``export_zoo`` then finds those and the ones saved after the resume)."""
    from ..runs import snapshot_run

    run = RunDir(run_path)
    policies = tuple(f"policies/{p.name}" for p in sorted((run.path / "policies").glob("step_*.pt"))
                     if int(p.stem.split("_")[1]) % SNAPSHOT_POLICY_EVERY == 0)
    return snapshot_run(run, zoo_resume_root() / run.path.name, drop_buffer=True, extra=policies).path


def restore_zoo_resume_point(run_path: str | Path) -> bool:
    """Before ``acalib zoo train``: lay out the run from its committed resume point when the run directory has
    no checkpoint of its own (a new machine). Returns whether it did."""
    from ..runs import restore_snapshot

    run, point = RunDir(run_path), zoo_resume_root() / Path(run_path).name
    if run.last_checkpoint.is_file() or not (point / "checkpoints" / "last.pt.xz").is_file():
        return False
    restore_snapshot(point, run.path)
    return True


def remove_zoo_resume_point(run_path: str | Path) -> None:
    """A finished zoo run needs its resume point no more."""
    if RunDir(run_path).done:
        shutil.rmtree(zoo_resume_root() / Path(run_path).name, ignore_errors=True)


def export_zoo(run_path: str | Path, env: str, zoo_dir: str | Path | None = None) -> Path:
    """Copy what the levels need from a finished (or stopped) SAC run into ``zoo_dir/env``."""
    run = RunDir(run_path)
    cfg = run.config()
    if cfg.get("algo") != "sac" or cfg.get("init") is not None or len(cfg["seeds"]) != 1:
        raise ValueError(f"{run_path} is not a single-seed SAC-from-scratch run")
    metrics = pd.read_csv(run.metrics_path).set_index("step")
    policies = {int(p.stem.split("_")[1]): p for p in sorted((run.path / "policies").glob("step_*.pt"))}
    if not policies:
        raise FileNotFoundError(f"{run_path} has no policy snapshots (train with --policy-snapshots)")
    returns = metrics["return"].loc[[s for s in policies if s in metrics.index]]
    # the expert: the first snapshot at or after the evaluation where the stopping rule first held, as
    # ``stop_when_converged`` saw it during training (training may have gone on past it)
    stop = first_converged_step(metrics["return"])  # one seed: one row per step
    expert_step = max(policies) if stop is None else min((s for s in policies if s >= stop), default=max(policies))
    expert_return = float(metrics.loc[expert_step, "return"])
    medium_step = choose_medium(returns, expert_return)
    # the policies the levels replay (medium-replay: every snapshot up to medium); an expert-only zoo keeps 0 and
    # the expert
    replayed = set() if env in EXPERT_ONLY_ENVS else {*range(0, medium_step + 1)}
    keep = sorted((replayed | {expert_step}) & set(policies) | {0})

    out = Path(zoo_dir or zoo_root()) / env
    tmp = out.with_name(f".{env}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "policies").mkdir(parents=True)
    hidden = tuple(cfg["hyperparameters"]["hidden"])
    for step in keep:
        if step == 0 and 0 not in policies:  # the untrained policy: rebuilt from the run's seed
            obs_dim, act_dim = _dims(load_checkpoint(policies[expert_step], legacy_ok=True)["actor"])
            actor = SquashedGaussianPolicy(obs_dim, act_dim, hidden, seeding.generators(cfg["seeds"], "init"))
            state = {"actor": actor.state_dict(), "step": 0}
        else:
            state = load_checkpoint(policies[step], legacy_ok=True)
        save_checkpoint(tmp / "policies" / f"step_{step:07d}.pt", {"actor": state["actor"], "step": step})
    done = run.summary()
    meta = {
        "env": env, "algorithm": "acalib SAC (paper Table 11 defaults)", "seed": cfg["seeds"][0],
        "hidden": list(hidden), "trained_steps": int(metrics.index.max()), "planned_steps": cfg["steps"],
        "wall_time_s": float(metrics["time_s"].max()), "finished": bool(done),
        "eval_episodes": cfg["loop"]["eval_episodes"],
        "checkpoints": [{"step": int(s), "return": float(r)} for s, r in metrics["return"].items()],
        "kept": keep, "expert_step": expert_step, "expert_return": expert_return,
        "medium_step": medium_step, "medium_return": float(metrics.loc[medium_step, "return"]) if medium_step else None,
        "medium_rule": f"first checkpoint with return >= {MEDIUM_FRACTION:.4f} x expert return",
        "stopping_rule": (f"stop at the first checkpoint >= {MIN_ZOO_STEPS} steps whose last {CONVERGED_WINDOW} "
                          f"evaluations lie within {CONVERGED_TOLERANCE:.0%} of their mean and whose best return so "
                          f"far is within {CONVERGED_RISE:.0%} of the best {CONVERGED_HORIZON} steps earlier"),
        "converged": stop is not None and expert_step >= stop,
    }
    write_json_atomic(tmp / "metadata.json", meta)
    old = out.with_name(f".{env}.old")
    shutil.rmtree(old, ignore_errors=True)
    if out.exists():
        out.rename(old)
    tmp.rename(out)
    shutil.rmtree(old, ignore_errors=True)
    return out


def _dims(actor_state: dict) -> tuple[int, int]:
    """(obs_dim, act_dim) of a saved squashed-Gaussian actor (its last layer outputs mean and log std)."""
    weights = [v for k, v in actor_state.items() if k.startswith("net.weights.")]
    return int(weights[0].shape[1]), int(weights[-1].shape[2]) // 2


def zoo_metadata(env: str, zoo_dir: str | Path | None = None) -> dict:
    path = Path(zoo_dir or zoo_root()) / env / "metadata.json"
    if not path.is_file():
        raise FileNotFoundError(f"no behaviour-policy zoo for {env!r} at {path.parent}; train one with "
                                f"`acalib zoo train --env {env}`, then `acalib zoo export --env {env} --run <run dir>`")
    return json.loads(path.read_text())


def load_zoo_policy(env: str, step: int, zoo_dir: str | Path | None = None) -> SquashedGaussianPolicy:
    meta = zoo_metadata(env, zoo_dir)
    path = Path(zoo_dir or zoo_root()) / env / "policies" / f"step_{step:07d}.pt"
    state = load_checkpoint(path, legacy_ok=True)["actor"]
    obs_dim, act_dim = _dims(state)
    policy = SquashedGaussianPolicy(obs_dim, act_dim, tuple(meta["hidden"]), seeding.generators([0], "init"))
    policy.load_state_dict(state)
    return policy.requires_grad_(False)


def level_policies(env: str, level: str, zoo_dir: str | Path | None = None) -> list[tuple[int, float]]:
    """(zoo step, share of the level's transitions) for the policies a level is rolled out with."""
    meta = zoo_metadata(env, zoo_dir)
    if level == "expert":
        return [(meta["expert_step"], 1.0)]
    if level == "medium":
        return [(meta["medium_step"], 1.0)]
    if level == "medium-replay":
        steps = [s for s in meta["kept"] if s < max(meta["medium_step"], 1)] or [0]
        return [(s, 1.0 / len(steps)) for s in steps]
    raise ValueError(f"level {level!r} is not rolled out from zoo policies; zoo levels: "
                     f"['expert', 'medium', 'medium-replay']")


def as_action_fn(policy: SquashedGaussianPolicy, seed: int):
    """numpy obs (n, obs_dim) -> stochastic actions (n, act_dim), from the policy's own noise stream."""
    gen = seeding.generators([seed], "noise")

    @torch.no_grad()
    def act(obs):
        mean, log_std = policy.distribution(torch.as_tensor(obs).unsqueeze(0))
        noise = seeding.normal(gen, tuple(mean.shape[1:]), mean.device)
        return policy.rsample(mean, log_std, noise)[0][0].numpy()

    return act
