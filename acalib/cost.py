"""What a profile costs on this machine, measured on its grid made at a fraction of the steps.

    acalib reproduce --profile lite/100      # every run of lite's grid, at 1/100 of its steps
    acalib cost --profile lite/100           # each run's measured time, extrapolated to lite

A scaled run's wall time splits into evaluation (``eval_s`` in its metrics), its loop's other work
(updates, environment steps: the loop's clock at its last evaluation, less evaluation) and its final
checkpoint (the rest). For an offline or actor-only run the loop's work is multiplied by the divisor.
An online run updates only once its buffer holds a batch, so its loop's work is divided by its
updates and multiplied by the full run's updates (its steps less the same idle steps); a run that
made fewer than ``MIN_UPDATES`` updates at the scaled profile (an empty buffer and a short run)
takes the median per-update cost of its method's other runs with as many seeds, in this pass or
another pass of the same profile (``imputed``). Evaluation is multiplied by the ratio of the full
run's evaluations to the scaled run's, and the final checkpoint by the full run's checkpoints (a
scaled run saves only at its end). All are estimates: per-step costs are taken not to depend on
the step count, and the policies of a short run fall earlier than trained ones, so their
evaluation episodes are shorter.
Building the grid's datasets is counted apart, at a given rate per million transitions.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from .data import datasets as D
from .profiles import get_profile, scale_of
from .runs import RunDir

# 1M-transition builds measured here (README): hopper-medium 3 min 25 s, walker2d-medium 2 min 35 s,
# both with their 200 reference episodes
BUILD_SECONDS_PER_MILLION = 205.0
# AntMaze's generator steps one maze with the planner (no reference episodes: its scores are 0 and 1):
# benchmarks/antmaze_build_speed.py, 20k transitions of each task, 605 and 608 CPU s per million (collection only)
BUILD_SECONDS_PER_MILLION_BY_ENV = {"antmaze": 610.0}
MIN_UPDATES = 20  # an online run with fewer updates at the scaled profile takes its method's typical cost
COLUMNS = ["dataset", "stage", "algo", "seeds", "steps", "measured_s", "updates", "idle_steps", "per_update_s",
           "train_s", "eval_s", "checkpoint_s"]


def run_costs(root: str | Path, profile: str, impute_from: tuple[str, ...] = ()) -> pd.DataFrame:
    """One row per finished run of the scaled ``profile`` (e.g. ``lite/1000``) under ``root``: what
    it measured and what the same run at the unscaled profile is estimated to take. ``impute_from``:
    other scaled passes of the same profile (e.g. ``lite/100`` of some notebooks) whose online runs
    also lend their per-update costs to runs that made too few updates here."""
    base_name, divisor = _scale(profile)
    runs_dir = Path(root) / "runs" / get_profile(profile).name
    frame, unfinished = _scan(runs_dir, divisor, get_profile(base_name))
    if unfinished:
        raise RuntimeError(f"{len(unfinished)} runs under {runs_dir} are unfinished ({unfinished[:3]} ...): "
                           f"finish `acalib reproduce --profile {profile}` first")
    if frame.empty:
        raise FileNotFoundError(f"no runs under {runs_dir}: run `acalib reproduce --profile {profile}` first")
    lenders = [frame]
    for other in impute_from:
        other_base, other_divisor = _scale(other)
        if other_base != base_name:
            raise ValueError(f"cannot impute {profile!r} from {other!r}: another profile")
        lenders.append(_scan(Path(root) / "runs" / get_profile(other).name, other_divisor,
                             get_profile(base_name))[0])
    lent = pd.concat(lenders)
    typical = lent[lent["stage"] == "online"].groupby(["algo", "seeds"])["per_update_s"].median()
    online = frame["stage"] == "online"
    frame["imputed"] = online & frame["per_update_s"].isna()
    for i in frame.index[frame["imputed"]]:
        frame.loc[i, "per_update_s"] = typical.get((frame.at[i, "algo"], frame.at[i, "seeds"]), float("nan"))
    real_updates = frame["steps"] - frame["idle_steps"]
    frame.loc[online, "train_s"] = (frame["per_update_s"] * real_updates)[online]
    # NaN: no per-update cost for its method
    frame["total_s"] = frame["train_s"] + frame["eval_s"] + frame["checkpoint_s"]
    return frame


def _scale(profile: str) -> tuple[str, int]:
    base_name, divisor = scale_of(get_profile(profile))
    if divisor == 1:
        raise ValueError(f"{profile!r} is not a scaled profile; run e.g. `acalib reproduce --profile "
                         f"{profile}/100` first and pass that")
    return base_name, divisor


def _scan(runs_dir: Path, divisor: int, base) -> tuple[pd.DataFrame, list[str]]:
    """The finished runs under ``runs_dir`` (a pass at 1/``divisor`` of ``base``), and the unfinished."""
    rows, unfinished = [], []
    for config_path in sorted(runs_dir.glob("*/*/config.json")):
        run = RunDir(config_path.parent)
        if not run.done:
            unfinished.append(run.path.name)
            continue
        cfg, metrics, measured = run.config(), pd.read_csv(run.metrics_path), float(run.summary()["time_s"])
        eval_s = float(metrics["eval_s"].max()) if "eval_s" in metrics else 0.0
        loop_s = float(metrics["time_s"].max())  # the loop's clock at its last evaluation
        interval = {"actor_only": base.actor_only_eval_interval,
                    "offline": base.offline_eval_interval or base.eval_interval}.get(cfg["stage"], base.eval_interval)
        steps, updates, work_s = int(cfg["steps"]) * divisor, int(metrics["updates"].max()), loop_s - eval_s
        online = cfg["stage"] == "online"  # updates start once the buffer holds a batch: count updates
        rows.append({"dataset": run.path.parent.name, "stage": cfg["stage"], "algo": run.path.name.rsplit("-", 1)[0],
                     "seeds": len(cfg["seeds"]), "steps": steps, "measured_s": measured, "updates": updates,
                     "idle_steps": int(cfg["steps"]) - updates if online else 0,
                     "per_update_s": work_s / updates if online and updates >= MIN_UPDATES else float("nan"),
                     "train_s": work_s * divisor,
                     "eval_s": eval_s / max(metrics["step"].nunique(), 1) * (steps // interval + 1),
                     "checkpoint_s": max(measured - loop_s, 0.0) * -(-steps // (base.checkpoint_interval or interval))})
    return pd.DataFrame(rows, columns=COLUMNS), unfinished


def dataset_costs(frame: pd.DataFrame, profile: str, seconds_per_million: float | None = None) -> pd.DataFrame:
    """The generated datasets the grid trains on, at the unscaled profile's sizes, and what building
    them costs at ``seconds_per_million`` (default: the environment's measured rate,
    ``BUILD_SECONDS_PER_MILLION_BY_ENV``, else ``BUILD_SECONDS_PER_MILLION``; they are built once and then reused)."""
    base = get_profile(_scale(profile)[0])
    rows = []
    for name in sorted(frame["dataset"].unique()):
        env, level = D.parse_name(name)
        size = base.dataset_size or D.default_size(env, level)
        rate = seconds_per_million or BUILD_SECONDS_PER_MILLION_BY_ENV.get(env, BUILD_SECONDS_PER_MILLION)
        rows.append({"dataset": name, "transitions": size, "build_s": size / 1e6 * rate})
    return pd.DataFrame(rows)


def summary(frame: pd.DataFrame) -> pd.DataFrame:
    """Runs, steps and estimated hours per (stage, algorithm), most expensive first."""
    table = frame.groupby(["stage", "algo"]).agg(runs=("steps", "size"), steps=("steps", "sum"))
    table["hours"] = frame.groupby(["stage", "algo"])["total_s"].apply(lambda s: s.sum(skipna=False)) / 3600
    return table.sort_values("hours", ascending=False).round({"hours": 2})
