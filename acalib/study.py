"""Cached runs for notebooks: ask for a run by what it is, get a finished run directory.

    study = Study("smoke")                      # the profile sets steps, seeds, evaluation
    off = study.offline("sac_ml", "hopper-random")
    aca = study.online("aca", off)              # trains only what is missing
    curves = study.metrics(aca)

Runs live under ``<root>/runs/<profile>/<dataset>/<algo>-<key>``; the key hashes the method, the
dataset, the fully resolved hyperparameters, the steps, seeds and evaluation settings, the
offline run it starts from, and the acalib version: a change to any of them trains afresh,
and a killed run resumes. Notebooks asking for the same run share it.
"""
from __future__ import annotations

import json
import os
import shutil
import time
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from .experiment import load_offline_agent
from .plan import PlaceholderRun, PlannedRun, active_plan
from .spec import RunSpec, execute, resolved_hyperparameters
from .spec import actor_only_spec as spec_of_actor_only, offline_spec as spec_of_offline, online_spec as spec_of_online
from .profiles import BASELINE_ALGOS, Profile, get_profile
from .data.datasets import dataset_identity, load_dataset, reload_dataset, unavailable_reason
from .probes import q_probe_frame
from .runs import RunDir, atomic_file, file_lock, restore_snapshot, run_key, write_csv_atomic, write_text_atomic


# what ``recompute`` retrains: every stage, or only the runs that start from an offline run
RECOMPUTE_STAGES = {"all": ("offline", "online", "actor_only", "q_probe"),
                    "online": ("online", "actor_only", "q_probe")}
PROVENANCE_ENV = "ACALIB_PROVENANCE"  # a file that every run a Study uses is appended to (one JSON line each)


class MissingRunError(LookupError):
    """A Study that only loads (``train=False``) was asked for a run that is not finished."""


RUNS_ENV = "ACALIB_RUNS_DIR"  # where a Study trains its runs unless given ``runs_root``
COMPILE_ENV = "ACALIB_COMPILE"  # on / off / auto: how the notebooks' runs compile (``acalib reproduce --compile``)
COMPILE_CHOICES = {"on": True, "off": False, "auto": None}


def compile_from_env() -> bool | None:
    """``$ACALIB_COMPILE`` as ``Study(compile=...)``: on -> True, off -> False, auto or unset -> None."""
    value = os.environ.get(COMPILE_ENV, "auto")
    if value not in COMPILE_CHOICES:
        raise ValueError(f"${COMPILE_ENV}={value!r}; valid: {list(COMPILE_CHOICES)}")
    return COMPILE_CHOICES[value]


def _loop(settings: dict) -> dict:
    """The loop settings that make a run what it is (not whether it shows progress)."""
    return {k: v for k, v in settings.items() if k != "progress"}


# a Q probe's cached points: xz-compressed CSV, float32 values to 7 significant digits (~250k rows at claims)
PROBE_SUFFIX = ".csv.xz"
PROBE_FLOAT_FORMAT = "%.7g"


def _finished(path: Path) -> bool:
    """A finished run directory (its ``done`` file), or a cached result file."""
    return path.is_file() if path.name.endswith(PROBE_SUFFIX) else (path / "done").is_file()


def repo_root(start: str | Path | None = None) -> Path:
    """The acalib checkout holding ``start`` (the folder with pyproject.toml), else ``start``."""
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "pyproject.toml").is_file() and (folder / "acalib").is_dir():
            return folder
    return here


class Study:
    """The runs of one profile under one root, trained on demand and cached.

    ``recompute``: train afresh every run made before this Study started (True), or before a
    given Unix time (a number: ``acalib reproduce --recompute`` gives all its notebooks the same
    one, so a run that one notebook has just retrained is shared, not retrained again).
    ``recompute_stages``: what ``recompute`` retrains: ``"all"``, or ``"online"`` (every run that starts
    from an offline run: online, actor-only, probes; the offline runs stay as they are).

    A finished run committed to the repository (``<root>/results/runs/<profile>/...``, the same
    name as under ``runs_root``) is used as it is unless ``recompute`` covers its stage; other runs
    are trained under ``runs_root`` (default ``<root>/runs``, or ``$ACALIB_RUNS_DIR``). ``train=False``
    only loads: a missing run raises ``MissingRunError`` (``acalib claims``). An unfinished run with a
    committed resume point (``<root>/results/resume/<profile>/...``, ``acalib export-runs --resume-points``)
    and no checkpoint under ``runs_root`` is resumed from it (unless ``recompute`` covers its stage)."""

    def __init__(self, profile: str | Profile = "smoke", root: str | Path | None = None, device: str = "cpu",
                 seeds: list[int] | None = None, recompute: bool | float = False, progress: bool = True,
                 runs_root: str | Path | None = None, recompute_stages: str = "all", train: bool = True,
                 compile: bool | None = None):
        self.profile = get_profile(profile) if isinstance(profile, str) else profile
        self.root = repo_root(root) if root is None else Path(root).resolve()
        # where runs are trained: ``runs_root``, else $ACALIB_RUNS_DIR, else <root>/runs
        self.runs_root = Path(runs_root or os.environ.get(RUNS_ENV) or self.root / "runs").resolve()
        self.device = device
        self.seeds = list(self.profile.seeds if seeds is None else seeds)
        if isinstance(recompute, bool) or recompute is None:
            self.recompute_before = time.time() if recompute else None
        elif isinstance(recompute, (int, float)) and recompute > 1e9:  # a Unix time (after 2001)
            self.recompute_before = float(recompute)
        else:
            raise ValueError(f"recompute must be True, False or a Unix time, got {recompute!r}")
        if recompute_stages not in RECOMPUTE_STAGES:
            raise ValueError(f"unknown recompute_stages {recompute_stages!r}; valid: {list(RECOMPUTE_STAGES)}")
        self.recompute_stages = RECOMPUTE_STAGES[recompute_stages]
        self.progress = progress
        self.train = train
        # compiled updates: None (auto: where repaid, ``experiment.resolve_compile``), else $ACALIB_COMPILE (on/off/auto)
        self.compile = compile if compile is not None else compile_from_env()
        self.used: list[dict] = []  # every run asked for: its path, stage and where it came from (PROVENANCE)
        self.plan = active_plan()  # made inside ``plan.planning``: runs are recorded, not trained

    # -- settings -------------------------------------------------------------------------
    def settings(self, eval_interval: int | None = None) -> dict:
        p = self.profile
        eval_interval = eval_interval or p.eval_interval
        return {"eval_interval": eval_interval, "eval_episodes": p.eval_episodes,
                "checkpoint_interval": p.checkpoint_interval or eval_interval, "progress": self.progress}

    def datasets(self, levels: tuple[str, ...] | list[str] | None = None, limit: bool = True,
                 restrict: bool = True) -> list[str]:
        """The profile's datasets, '<env>-<level>', level by level as the paper's tables: ``levels``
        (an artifact's own, e.g. the medium level) or the profile's, at most ``max_levels`` of them
        (smoke: the first; ``limit=False``: all of them), cut to the profile's levels where it restricts
        them (claims) unless ``restrict=False`` (an artifact that only reads datasets, Fig. 9). A profile
        with a ``level_override`` (tiny) uses that level instead, once."""
        levels = tuple(levels or self.profile.levels)
        if self.profile.restrict_levels and restrict:
            levels = tuple(level for level in levels if level in self.profile.levels)
        levels = levels[:self.profile.max_levels if limit else None]
        if self.profile.level_override:
            levels = (self.profile.level_override,)
        return [f"{env}-{level}" for level in levels for env in self.profile.envs]

    def antmaze(self) -> tuple[list[str], dict[str, str]]:
        """The profile's AntMaze datasets (Table 3's AntMaze rows, Fig. 12), 'antmaze-<task>': those whose data can
        be had here, and the others with why (``datasets.unavailable_reason``: no D4RL file, and no AntDirection
        expert in the zoo to generate it from)."""
        names = [f"antmaze-{task}" for task in self.profile.antmaze_tasks]
        missing = {n: why for n in names if (why := unavailable_reason(n, size=self.profile.dataset_size))}
        return [n for n in names if n not in missing], missing

    def skip_reason(self, algo: str, dataset: str | None = None, **overrides) -> str | None:
        """Why this profile does not run ``algo`` (an offline or online algorithm; ``overrides``
        set to True name a variant, e.g. ``fit_baseline``) on ``dataset``; None when it does.
        Notebooks leave such a method out and say why."""
        p = self.profile
        for key in (algo, *(f"{algo}:{k}" for k, v in overrides.items() if v is True)):
            if (reason := p.left_out_reason(key)) is not None:
                return reason
        if algo in BASELINE_ALGOS and p.baseline_levels is not None and dataset is not None:
            level = dataset.split("-", 1)[1] if "-" in dataset else dataset
            if level not in p.baseline_levels:
                return (f"profile {p.name!r} trains {algo} only on the {', '.join(p.baseline_levels)} "
                        f"level{'s' if len(p.baseline_levels) > 1 else ''}")
        return None

    @property
    def figures_dir(self) -> Path:
        return self.root / "figures" / self.profile.name

    @property
    def tables_dir(self) -> Path:
        return self.root / "results" / "tables" / self.profile.name

    def _dir(self, dataset: str, algo: str, **spec) -> Path:
        key = run_key(algo=algo, dataset=dataset, profile=self.profile.name, **spec)
        return self.runs_root / self.profile.name / dataset / f"{algo}-{key}"

    @property
    def committed_root(self) -> Path:
        """Where finished runs committed to the repository live (the claims profile's)."""
        return self.root / "results" / "runs"

    @property
    def resume_root(self) -> Path:
        """Where the resume points of unfinished runs committed to the repository live (``snapshot_run``)."""
        return self.root / "results" / "resume"

    def _recomputes(self, stage: str) -> bool:
        return self.recompute_before is not None and stage in self.recompute_stages

    def _stale(self, path: Path, stage: str) -> bool:
        """Under ``recompute``: was ``path`` (a run directory or a cached file) made before the cut-off?"""
        if not self._recomputes(stage) or not path.exists():
            return False
        made = path / "config.json" if path.is_dir() else path
        return not made.exists() or made.stat().st_mtime < self.recompute_before

    def _record(self, path: Path, stage: str, source: str) -> None:
        entry = {"path": str(path), "name": path.name, "dataset": path.parent.name, "stage": stage, "source": source}
        self.used.append(entry)
        if target := os.environ.get(PROVENANCE_ENV):  # acalib reproduce: one file per notebook execution
            with open(target, "a") as f:
                f.write(json.dumps(entry) + "\n")

    def _lookup(self, path: Path, stage: str) -> tuple[Path, str | None]:
        """Where the run at ``path`` is found finished without training: (the committed run, "repository"),
        (``path``, "cached"), or (``path``, None) when it is still to train (under ``recompute``: made before
        the cut-off). Takes no lock (planning)."""
        committed = self.committed_root / path.relative_to(self.runs_root)
        if _finished(committed) and not self._recomputes(stage):
            return committed, "repository"
        if _finished(path) and not self._stale(path, stage):
            return path, "cached"
        return path, None

    def find(self, name: str) -> RunDir:
        """The run ``'<dataset>/<directory>'`` of this profile: the committed one if finished, else the one
        under ``runs_root`` (finished or not)."""
        return RunDir(self._lookup(self.runs_root / self.profile.name / name, "offline")[0])

    def _trained_steps(self, path: Path, stage: str) -> int:
        """How far the unfinished run at ``path`` has trained: the last step its metrics record, if it has a
        checkpoint to resume from there: its own (unless ``recompute`` discards it), else a committed resume
        point (not restored under ``recompute``)."""
        point = self.resume_root / path.relative_to(self.runs_root)
        candidates = [*([(RunDir(path), RunDir(path).last_checkpoint)] if not self._stale(path, stage) else []),
                      *([(RunDir(point), point / "checkpoints" / "last.pt.xz")] if not self._recomputes(stage) else [])]
        for run, checkpoint in candidates:
            if checkpoint.is_file():
                return max((int(row["step"]) for row in run.read_metrics()), default=0)
        return 0

    def _restore_resume_point(self, path: Path) -> None:
        """Lay out the run at ``path`` from its committed resume point, if it has one and ``path`` has no
        checkpoint of its own (``runs.restore_snapshot``): the run then resumes where that machine stopped."""
        point = self.resume_root / path.relative_to(self.runs_root)
        if (point / "checkpoints" / "last.pt.xz").is_file() and not RunDir(path).last_checkpoint.is_file():
            restore_snapshot(point, path)

    @contextmanager
    def _claim(self, path: Path, stage: str):
        """Yields (path, finished). A finished committed run of that name is used as it is (unless
        ``recompute`` covers ``stage``); otherwise hold ``path``'s lock (notebooks running in parallel
        share runs), under ``recompute`` remove what an earlier reproduction left there, and let the
        caller train (or resume) the run. ``train=False``: a run that is not finished raises."""
        committed = self.committed_root / path.relative_to(self.runs_root)
        if _finished(committed) and not self._recomputes(stage):
            self._record(committed, stage, "repository")
            yield committed, True
            return
        with file_lock(path.parent / f".{path.name}.lock"):
            if self._stale(path, stage):
                shutil.rmtree(path) if path.is_dir() else path.unlink()
            finished = _finished(path)
            if not finished and self.train and not self._recomputes(stage):
                self._restore_resume_point(path)
            if not finished and not self.train:
                raise MissingRunError(
                    f"profile {self.profile.name!r} has no finished {stage} run {path.parent.name}/{path.name} "
                    f"(looked in {self.committed_root} and {self.runs_root}); train it first with "
                    f"`acalib reproduce --profile {self.profile.name}`")
            yield path, finished
            self._record(path, stage, "cached" if finished else "trained")

    # -- runs -----------------------------------------------------------------------------
    def offline(self, algo: str, dataset: str, steps: int | None = None, seeds: list[int] | None = None,
                **overrides) -> RunDir:
        """A finished offline run of ``algo`` on ``dataset`` (trained now if not cached); ``offline_spec``."""
        return self._run(self.offline_spec(algo, dataset, steps, seeds, **overrides))

    def online(self, algo: str, init: RunDir | None = None, dataset: str | None = None, steps: int | None = None,
               seeds: list[int] | None = None, eval_interval: int | None = None, offline_data: bool = True,
               **overrides) -> RunDir:
        """A finished online run: fine-tuning from ``init``, or (``algo='sac'``, no ``init``) SAC
        from scratch on ``dataset``'s environment, scored with its reference returns; ``online_spec``."""
        spec = self.online_spec(algo, init, dataset, steps, seeds, eval_interval, offline_data, **overrides)
        return self._run(spec, init)

    def actor_only(self, init: RunDir, dataset: str, critic: str = "offline", steps: int | None = None) -> RunDir:
        """Actor-only updates from ``init`` on ``dataset``'s states (Figs. 1b, 2, 3, 10, 11)."""
        return self._run(self.actor_only_spec(init, dataset, critic, steps), init)

    def _run(self, spec: RunSpec, init: RunDir | None = None) -> RunDir:
        """The finished run ``spec`` describes: committed, cached, or trained now (``execute``); planning:
        the finished run, or a placeholder for the run the plan will train."""
        if self.plan is not None:
            return self._plan_run(spec, init)
        with self._claim(self.runs_root / self.profile.name / spec.name, spec.stage) as (out, finished):
            if finished:
                return RunDir(out)
            return execute(spec, out, init=init.path if init else None, device=self.device, compile=self.compile,
                           progress=self.progress)

    def _plan_run(self, spec: RunSpec, init: RunDir | None) -> RunDir:
        path, finished = self._lookup(self.runs_root / self.profile.name / spec.name, spec.stage)
        self.plan.add(PlannedRun(spec.name, spec.stage, json.loads(spec.to_json()),
                                 [spec.init] if spec.init else [], finished,
                                 trained_steps=0 if finished else self._trained_steps(path, spec.stage)))
        if finished:
            return RunDir(path)
        seeds = spec.seeds if spec.seeds is not None else init.config()["seeds"]
        return PlaceholderRun(path, spec, seeds)

    def run_planned(self, entry: PlannedRun) -> Path:
        """Train (or find finished) one entry of a plan, as the notebooks would ask for it (``acalib.executors``)."""
        init = self.find(entry.needs[0]) if entry.needs else None
        if entry.stage == "q_probe":
            self.q_probe(init, entry.spec["ood"], entry.spec["points"])
            return self.runs_root / self.profile.name / entry.name
        return self._run(entry.run_spec(), init).path

    # -- the runs' descriptions -----------------------------------------------------------
    def offline_spec(self, algo: str, dataset: str, steps: int | None = None, seeds: list[int] | None = None,
                     **overrides) -> RunSpec:
        """The offline run of ``algo`` on ``dataset`` at this profile. Offline ensembles (for BR) get the
        profile's ``ensemble_size`` unless ``overrides`` name one; the offline baselines (CQL, AWAC, TD3+BC)
        the profile's baseline seeds and steps, if it has them."""
        p = self.profile
        if "ensemble_size" in resolved_hyperparameters(algo, {}):
            overrides = {"ensemble_size": p.ensemble_size, **overrides}
        baseline = algo in BASELINE_ALGOS
        if steps is None:
            steps = p.baseline_offline_steps if baseline and p.baseline_offline_steps else p.offline_steps
        if seeds is None:  # the profile's baseline seeds, unless this Study was given its own seeds
            own = self.seeds != list(p.seeds)
            seeds = list(p.baseline_seeds) if baseline and p.baseline_seeds and not own else self.seeds
        return spec_of_offline(algo, dataset, steps, list(seeds), _loop(self.settings(p.offline_eval_interval)),
                               overrides, size=p.dataset_size, profile=p.name,
                               data=dataset_identity(dataset, size=p.dataset_size, build=False))

    def online_spec(self, algo: str, init: RunDir | None = None, dataset: str | None = None, steps: int | None = None,
                    seeds: list[int] | None = None, eval_interval: int | None = None, offline_data: bool = True,
                    **overrides) -> RunSpec:
        """The online run of ``algo`` from ``init`` (or from scratch on ``dataset``) at this profile."""
        steps = self.profile.online_steps if steps is None else steps
        data = None if init is not None or dataset is None else dataset_identity(dataset, build=False)
        return spec_of_online(algo, steps, _loop(self.settings(eval_interval)), init, dataset,
                              None if init is not None else (self.seeds if seeds is None else list(seeds)),
                              overrides, offline_data, profile=self.profile.name, data=data)

    def actor_only_spec(self, init: RunDir, dataset: str, critic: str = "offline", steps: int | None = None) -> RunSpec:
        """The actor-only run from ``init`` on ``dataset``'s states at this profile."""
        p = self.profile
        return spec_of_actor_only(init, dataset, p.actor_only_steps if steps is None else steps,
                                  _loop(self.settings(p.actor_only_eval_interval)), critic, size=p.dataset_size,
                                  profile=p.name, data=dataset_identity(dataset, size=p.dataset_size, build=False))

    def q_probe(self, init: RunDir, ood_dataset: str, points: int = 41) -> pd.DataFrame:
        """Offline Q and aligned Q along perturbed actions at in-distribution states (the offline
        run's dataset) and out-of-distribution states (``ood_dataset``) (Figs. 4, 20, 21)."""
        name = init.config()["dataset"]["name"]
        spec = {"init": init.path.name, "ood": ood_dataset, "states": self.profile.probe_states, "points": points,
                "data": dataset_identity(ood_dataset, size=self.profile.dataset_size, build=False)}
        probe = self._dir(name, "q_probe", **spec)
        probe = probe.with_name(probe.name + PROBE_SUFFIX)
        if self.plan is not None:
            found, finished = self._lookup(probe, "q_probe")
            init_name = f"{init.path.parent.name}/{init.path.name}"
            self.plan.add(PlannedRun(f"{name}/{probe.name}", "q_probe", {"init": init_name, "ood": ood_dataset,
                                                                        "points": points}, [init_name], finished))
            return pd.read_csv(found) if finished else pd.DataFrame()
        with self._claim(probe, "q_probe") as (path, finished):
            if finished:
                return pd.read_csv(path)
            offline, cfg = load_offline_agent(init.path, self.device)
            sets = {"in-distribution": reload_dataset(cfg["dataset"]).transitions,
                    "out-of-distribution": load_dataset(ood_dataset, size=self.profile.dataset_size).transitions}
            frame = q_probe_frame(offline, name, sets, self.profile.probe_states, points)
            write_csv_atomic(frame, path, float_format=PROBE_FLOAT_FORMAT)
            return frame

    # -- results --------------------------------------------------------------------------
    @staticmethod
    def metrics(run: RunDir, label: str | None = None) -> pd.DataFrame:
        """The run's metrics.csv as a DataFrame, with a ``method`` column when ``label`` is given (a planned
        run's: NaN scores at its evaluation steps)."""
        frame = run.planned_metrics() if isinstance(run, PlaceholderRun) else pd.read_csv(run.metrics_path)
        if label is not None:
            frame["method"] = label
        return frame

    def describe(self, runs: dict[str, RunDir] | None = None) -> str:
        """One line stating the profile, steps, seeds and dataset sources, for every table."""
        p = self.profile
        sources = sorted({r.config()["dataset"]["source"] for r in (runs or {}).values()
                          if isinstance(r.config().get("dataset"), dict)})
        offline_eval = (f" (offline: every {p.offline_eval_interval})"
                        if p.offline_eval_interval and p.offline_eval_interval != p.eval_interval else "")
        baselines = (f"; CQL, AWAC and TD3+BC {p.baseline_offline_steps or p.offline_steps} offline steps, seeds "
                     f"{list(p.baseline_seeds or self.seeds)}" if p.baseline_seeds or p.baseline_offline_steps else "")
        return (f"profile `{p.name}`: {p.offline_steps} offline + {p.online_steps} online steps, "
                f"seeds {self.seeds}, {p.eval_episodes} evaluation episodes every {p.eval_interval} steps"
                f"{offline_eval}{baselines}" + (f"; dataset source: {', '.join(sources)}" if sources else ""))


# offline runs committed with their final checkpoint: those online and actor-only runs start from (``acalib.methods``),
# so that RECOMPUTE=online retrains only the online half; not BR's ensembles (five members a seed, none at claims)
CHECKPOINT_ALGOS = ("sac_ml", "cql", "awac")


def export_runs(profile: str, runs_root: str | Path | None = None, root: str | Path | None = None,
                checkpoint_algos: tuple[str, ...] = CHECKPOINT_ALGOS, resume_points: bool = False) -> list[Path]:
    """Copy every finished run of ``profile`` under ``runs_root`` into ``<root>/results/runs/<profile>/``
    (config, metrics, done summary; offline runs of ``checkpoint_algos`` with their trimmed, compressed
    final checkpoint; cached probe CSVs (``.csv.xz``) as they are), where ``Study`` finds them as committed runs, and
    remove their resume points. ``resume_points``: also snapshot every unfinished run that has a
    checkpoint and no replay buffer (offline and actor-only runs) into ``<root>/results/resume/<profile>/``
    (``snapshot_run``), from which a Study on another machine resumes it. Returns the written paths."""
    from .runs import export_run, snapshot_run

    study = Study(profile, root, runs_root=runs_root, progress=False)
    source = study.runs_root / study.profile.name
    written = []
    for path in sorted(source.glob("*/*")):
        dest = study.committed_root / path.relative_to(study.runs_root)
        if path.name.endswith(PROBE_SUFFIX):
            with atomic_file(dest, "wb") as f:
                f.write(path.read_bytes())
            written.append(dest)
        elif path.is_dir() and _finished(path):
            cfg = RunDir(path).config()
            keep = cfg.get("stage") == "offline" and cfg.get("algo") in checkpoint_algos
            written.append(export_run(RunDir(path), dest, checkpoint=keep).path)
            shutil.rmtree(study.resume_root / path.relative_to(study.runs_root), ignore_errors=True)
        elif path.is_dir() and resume_points and RunDir(path).last_checkpoint.is_file():
            if RunDir(path).config().get("stage") in ("offline", "actor_only"):
                point = snapshot_run(RunDir(path), study.resume_root / path.relative_to(study.runs_root)).path
                _copy_dataset_checksums(RunDir(path).config(), point)
                written.append(point)
    if study.committed_root.joinpath(study.profile.name).is_dir():
        write_runs_index(study.committed_root / study.profile.name)
    return written


def runs_index(folder: str | Path) -> pd.DataFrame:
    """One row per finished run (and Q probe) under ``folder`` (``<runs root>/<profile>``): what it is, what it
    starts from, its dataset source, seeds and steps, the mean normalized score at its first evaluation and
    at its last (± std over seeds), and its wall time (``time_s`` of its done summary, summed over resumes)."""
    rows = []
    for path in sorted(Path(folder).glob("*/*")):
        name = f"{path.parent.name}/{path.name}"  # <dataset>/<method>-<key>
        if path.name.endswith(PROBE_SUFFIX):
            rows.append({"run": name, "stage": "q_probe", "method": "q_probe"})
            continue
        if not (path.is_dir() and _finished(path)):
            continue
        run = RunDir(path)
        cfg, frame = run.config(), pd.read_csv(run.metrics_path)
        scores = frame.groupby("step")["normalized_score"]
        first, last = frame["step"].min(), frame["step"].max()
        init = cfg.get("init")
        rows.append({"run": name, "stage": cfg.get("stage"), "method": path.name.rsplit("-", 1)[0],
                     "starts_from": f"{Path(init).parent.name}/{Path(init).name}" if init else "",
                     "source": (cfg.get("dataset") or {}).get("source", ""), "seeds": len(cfg.get("seeds", [])),
                     "steps": int(last), "first_step": int(first), "score_first": scores.mean()[first],
                     "score_last": scores.mean()[last], "score_last_std": scores.std(ddof=0)[last],
                     "hours": run.summary().get("time_s", float("nan")) / 3600})
    table = pd.DataFrame(rows, columns=["run", "stage", "method", "starts_from", "source", "seeds", "steps",
                                        "first_step", "score_first", "score_last", "score_last_std", "hours"])
    return table.astype({"seeds": "Int64", "steps": "Int64", "first_step": "Int64"})


def write_runs_index(folder: str | Path) -> tuple[Path, Path]:
    """``runs_index`` of ``folder`` as ``index.csv`` and ``index.md`` in it (rewritten on every export)."""
    from .tables import markdown_table

    folder = Path(folder)
    table = runs_index(folder)
    write_csv_atomic(table, folder / "index.csv", float_format="%.6g")

    def number(v, fmt="{:.1f}"):
        return "" if pd.isna(v) else fmt.format(v)

    shown = pd.DataFrame({
        **{c: table[c].fillna("") for c in ("run", "stage", "method", "starts_from", "source")},
        "seeds": table["seeds"].map(lambda v: number(v, "{:.0f}")), "steps": table["steps"].map(lambda v: number(v, "{:,.0f}")),
        "score at first eval": [number(v) + ("" if pd.isna(v) else f" (step {s:,.0f})")
                                for v, s in zip(table["score_first"], table["first_step"])],
        "score at last eval": [number(m) + ("" if pd.isna(m) else f" ± {d:.1f}")
                               for m, d in zip(table["score_last"], table["score_last_std"])],
        "hours": table["hours"].map(lambda v: number(v, "{:.2f}"))})
    text = (f"# Finished runs of profile `{folder.name}`\n\nWritten by `acalib export-runs` from the runs in this "
            f"folder. Scores are normalized (0 random, 100 expert, by the dataset's reference returns): the mean over "
            f"seeds at the run's first evaluation (an online or actor-only run's step 0 is the switch) and the mean "
            f"± std at its last; hours: its wall time on the machine that trained it, summed over resumes.\n\n"
            f"{markdown_table(shown)}\n")
    write_text_atomic(folder / "index.md", text)
    return folder / "index.csv", folder / "index.md"


def _copy_dataset_checksums(config: dict, point: Path) -> None:
    """Beside a resume point: the checksums of the generated dataset it trained on (``dataset_checksums.json``),
    to compare with the dataset a later machine builds (the same factory, seeds and versions give the same files)."""
    from .data.minari_io import CHECKSUMS, dataset_path

    source = (config.get("dataset") or {}).get("source", "")
    sums = dataset_path(source.split(":", 1)[1]) / CHECKSUMS if source.startswith("minari:") else None
    if sums is not None and sums.is_file():
        shutil.copy2(sums, point / "dataset_checksums.json")
