"""A plan's runs as Ray tasks: a local Ray on this machine by default, a cluster by address.

    plan = plan_notebooks("lite")
    outcome = run_plan_on_ray(plan, runs_root="/shared/acalib-runs", address="auto")

Each run still to train is one task (``num_cpus``/``num_gpus`` per run), submitted once the runs it
starts from have finished. A task trains through ``Study.run_planned``, exactly as a notebook would ask
for the run, into ``runs_root``: on a cluster that is storage every node mounts at the same path (each
task checks it sees this execution's mark there, and refuses by name otherwise). A worker that dies
(process killed, node lost) has its task retried by Ray (``max_retries``) and the retry resumes from the
run's last checkpoint; a task that raises is reported by name with its error, the runs that start from
it are not submitted, and the others go on. Two executions share runs through the runs' locks.
Ray is an optional dependency (``pip install acalib[ray]``), imported only here.
"""
from __future__ import annotations

import os
import socket
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .plan import Plan, PlannedRun

MARKS = ".acalib-executions"  # under the runs root: <token> (this execution's mark), <token>.started/<run>


class RootNotVisibleError(RuntimeError):
    """A worker does not see the runs root the driver wrote to (not shared storage)."""


def check_root(runs_root: str, token: str) -> str:
    """On a worker: refuse unless this execution's mark is in ``runs_root`` (shared storage); its host name."""
    mark = Path(runs_root) / MARKS / token
    if not mark.is_file():
        raise RootNotVisibleError(
            f"the worker on {socket.gethostname()} cannot see --root {runs_root} (this execution's mark {mark} "
            f"is not there): on a cluster --root must be storage that every node mounts at the same path")
    return socket.gethostname()


def train_entry(entry: dict, study_args: dict, token: str) -> dict:
    """The body of one Ray task: train the planned run ``entry`` (resuming it if a checkpoint exists)."""
    import torch

    from .study import Study

    host = check_root(study_args["runs_root"], token)
    started = Path(study_args["runs_root"]) / MARKS / f"{token}.started"
    started.mkdir(parents=True, exist_ok=True)
    (started / entry["name"].replace("/", "__")).write_text(f"{os.getpid()} {host}\n")
    torch.set_num_threads(max(1, int(float(os.environ.get("OMP_NUM_THREADS", "1")))))
    start = time.time()
    path = Study(**study_args, progress=False).run_planned(PlannedRun(**entry))
    return {"name": entry["name"], "path": str(path), "seconds": time.time() - start, "host": host,
            "pid": os.getpid()}


@dataclass
class PlanOutcome:
    """What an execution of a plan did: the runs it trained, those that failed (name -> error) and those
    not submitted because a run they start from failed (name -> why)."""
    trained: dict[str, dict] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failed and not self.skipped

    def to_dict(self) -> dict:
        return asdict(self)


def resources(device: str, gpus_per_run: float | None = None, cpus_per_run: float = 1.0) -> dict:
    """Ray's ``num_cpus``/``num_gpus`` per run: a CPU run takes ``cpus_per_run`` cores; a CUDA run also a GPU,
    or ``gpus_per_run`` of one (e.g. 0.25: four runs share a GPU)."""
    gpus = 0.0 if not device.startswith("cuda") else (1.0 if gpus_per_run is None else gpus_per_run)
    if gpus < 0 or (gpus > 1 and not float(gpus).is_integer()):
        raise ValueError(f"gpus_per_run {gpus_per_run!r}: a fraction in (0, 1] or a whole number of GPUs")
    if cpus_per_run <= 0:
        raise ValueError(f"cpus_per_run {cpus_per_run!r} must be positive")
    return {"num_cpus": cpus_per_run, "num_gpus": gpus}


def start_ray(address: str | None = None, num_cpus: int | None = None):
    """Join the cluster at ``address``, or start a local Ray on this machine (``num_cpus`` cores, default all)."""
    try:
        import ray
    except ImportError:
        raise ModuleNotFoundError("--executor ray needs Ray, an optional extra: pip install 'acalib[ray]' "
                                  "(`make test` installs it); or use --executor local") from None

    if ray.is_initialized():
        return ray
    kwargs = dict(include_dashboard=False, logging_level="ERROR", log_to_driver=False)
    if address:
        ray.init(address=address, **kwargs)
    else:
        ray.init(num_cpus=num_cpus or os.cpu_count(), **kwargs)
    return ray


def run_plan_on_ray(plan: Plan, runs_root: str | Path, root: str | Path | None = None, *, address: str | None = None,
                    device: str = "cpu", gpus_per_run: float | None = None, cpus_per_run: float = 1.0,
                    num_cpus: int | None = None, max_retries: int = 3, recompute_before: float | None = None,
                    recompute_stages: str = "all", compile: bool | None = None, seeds: list[int] | None = None,
                    progress: bool = True, shutdown: bool = True) -> PlanOutcome:
    """Train every run of ``plan`` that is not finished as a Ray task, each after the runs it starts from.
    Returns what was trained, what failed (with its error) and what was not submitted."""
    from tqdm.auto import tqdm

    from .study import repo_root

    ray = start_ray(address, num_cpus)
    runs_root = Path(runs_root).resolve()
    token = uuid.uuid4().hex
    mark = runs_root / MARKS / token
    mark.parent.mkdir(parents=True, exist_ok=True)
    mark.write_text(f"{socket.gethostname()} {os.getpid()}\n")
    study_args = {"profile": plan.profile, "root": str(repo_root(root) if root is None else Path(root).resolve()),
                  "runs_root": str(runs_root), "device": device, "seeds": seeds, "compile": compile,
                  "recompute": False if recompute_before is None else recompute_before,
                  "recompute_stages": recompute_stages}
    task = ray.remote(train_entry).options(**resources(device, gpus_per_run, cpus_per_run), max_retries=max_retries,
                                           retry_exceptions=False)
    outcome, start = PlanOutcome(), time.time()
    waiting = {e.name: e for e in plan.missing()}
    finished = {name for name, e in plan.entries.items() if e.finished}
    in_flight: dict = {}  # ObjectRef -> name
    bar = tqdm(total=len(waiting), desc=f"runs ({plan.profile}, ray)", unit="run", disable=not progress,
               dynamic_ncols=True)
    try:
        while waiting or in_flight:
            for name, entry in list(waiting.items()):
                blocked = [n for n in entry.needs if n in outcome.failed or n in outcome.skipped]
                if blocked:
                    outcome.skipped[name] = f"not run: the run it starts from, {blocked[0]}, failed"
                    del waiting[name]
                    bar.update()
                elif all(n in finished for n in entry.needs):
                    in_flight[task.remote(asdict(entry), study_args, token)] = name
                    del waiting[name]
            if not in_flight:
                continue
            ready, _ = ray.wait(list(in_flight), num_returns=1, timeout=1.0)
            for ref in ready:
                name = in_flight.pop(ref)
                try:
                    outcome.trained[name] = ray.get(ref)
                    finished.add(name)
                except ray.exceptions.RayTaskError as err:  # the run raised: its own error, by name
                    cause = err.cause if getattr(err, "cause", None) is not None else err
                    outcome.failed[name] = f"{type(cause).__name__}: {cause}"
                except ray.exceptions.RayError as err:  # e.g. its worker died more often than max_retries
                    outcome.failed[name] = f"{type(err).__name__}: {str(err).splitlines()[0]}"
                bar.update()
            bar.set_postfix_str(_slowest(runs_root / MARKS / f"{token}.started", in_flight.values()), refresh=False)
    finally:
        bar.close()
        outcome.seconds = time.time() - start
        mark.unlink(missing_ok=True)
        if shutdown and not address:
            ray.shutdown()
    return outcome


def _slowest(started: Path, running) -> str:
    """'N running; slowest: <run> (S s)' from the tasks' start marks."""
    running = list(running)
    times = {}
    for name in running:
        path = started / name.replace("/", "__")
        if path.is_file():
            times[name] = time.time() - path.stat().st_mtime
    if not times:
        return f"{len(running)} running" if running else ""
    name = max(times, key=times.get)
    return f"{len(running)} running; slowest: {name} ({times[name]:.0f} s)"
