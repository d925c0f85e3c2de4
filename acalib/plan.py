"""A profile's runs, planned before any is trained: what the notebooks will ask for, and what each starts from.

    plan = plan_notebooks("smoke", only="fig05")     # nothing is trained
    plan.missing()                                   # the runs still to train, init runs first
    print(plan.summary())                            # runs per method, estimated hours where measured

Each notebook marks the cells that ask for its runs with the cell tag ``runs``. Planning executes a
notebook's code cells up to its last ``runs`` cell (the parameters cell with the suite's parameters, the
imports, the constants and the runs cells; nothing after) in this process, with every ``Study`` it makes
in planning mode: a run that is finished (committed, or cached under the runs folder) is returned as it
is; any other run is recorded with its ``RunSpec`` and returned as a ``PlaceholderRun`` (the config its
spec implies, metrics with NaN scores at its evaluation steps), which later requests may start from.
The runs cells may therefore read configs and metrics but must not save figures or tables. The plan is
exact: executing the notebooks after the plan's runs are trained trains nothing (``tests/test_plan.py``).
"""
from __future__ import annotations

import contextlib
import contextvars
import io
import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .runs import RunDir, write_text_atomic
from .spec import RunSpec

RUNS_TAG = "runs"  # the cell tag of the cells that ask for a notebook's runs
_ACTIVE: contextvars.ContextVar["Plan | None"] = contextvars.ContextVar("acalib_plan", default=None)


def active_plan() -> "Plan | None":
    """The plan a ``Study`` made now records into (``planning``), or None: Studies train as usual."""
    return _ACTIVE.get()


@contextlib.contextmanager
def planning(plan: "Plan", notebook: str | None = None):
    """Every ``Study`` made inside plans into ``plan`` instead of training; ``notebook`` names who asks."""
    token = _ACTIVE.set(plan)
    previous, plan.current_notebook = plan.current_notebook, notebook
    try:
        yield plan
    finally:
        _ACTIVE.reset(token)
        plan.current_notebook = previous


@dataclass
class PlannedRun:
    """One run (or Q probe) a plan needs: its name under ``<runs root>/<profile>/``, its description, the runs
    it starts from (by name), whether it is already finished, and the notebooks that ask for it."""
    name: str  # '<dataset>/<directory>' (a probe: '<dataset>/q_probe-<key>.csv.xz')
    stage: str  # offline / online / actor_only / q_probe
    spec: dict  # RunSpec fields; a probe: init, ood, points
    needs: list[str] = field(default_factory=list)
    finished: str | None = None  # "repository" or "cached" when it needs no training
    notebooks: list[str] = field(default_factory=list)
    trained_steps: int = 0  # an unfinished run's steps already done (its last evaluation with a checkpoint to resume)

    @property
    def method(self) -> str:
        return self.name.split("/", 1)[1].rsplit("-", 1)[0]

    def run_spec(self) -> RunSpec:
        if self.stage == "q_probe":
            raise ValueError(f"{self.name} is a Q probe, not a run")
        return RunSpec(**self.spec)


class Plan:
    """The runs one profile's notebooks need, in the order they were first asked for (init runs first)."""

    def __init__(self, profile: str):
        self.profile = profile
        self.entries: dict[str, PlannedRun] = {}
        self.current_notebook: str | None = None

    def add(self, entry: PlannedRun) -> PlannedRun:
        """Record ``entry`` (once per name; another notebook asking for it is added to its ``notebooks``)."""
        have = self.entries.setdefault(entry.name, entry)
        resolved = ({k: v for k, v in e.spec.items() if k != "overrides"} for e in (have, entry))
        if next(resolved) != next(resolved):  # the overrides given may differ (beta=7 or none), not the result
            raise RuntimeError(f"two different descriptions of run {entry.name}: {have.spec} and {entry.spec}")
        if self.current_notebook and self.current_notebook not in have.notebooks:
            have.notebooks.append(self.current_notebook)
        return have

    def missing(self) -> list[PlannedRun]:
        """The entries still to train, each after the runs it starts from."""
        return [e for e in self.entries.values() if e.finished is None]

    def to_json(self) -> str:
        return json.dumps({"profile": self.profile, "runs": [asdict(e) for e in self.entries.values()]},
                          indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "Plan":
        data = json.loads(text)
        plan = cls(data["profile"])
        for values in data["runs"]:
            plan.entries[values["name"]] = PlannedRun(**values)
        return plan

    def write(self, path: str | Path) -> Path:
        write_text_atomic(Path(path), self.to_json() + "\n")
        return Path(path)

    def summary(self, costs: pd.DataFrame | None = None) -> pd.DataFrame:
        """Runs per (stage, method): how many, how many are still to train, and (with ``costs``, a
        ``acalib cost`` table of the same profile: dataset, algo, stage, total_s) their estimated hours."""
        rows = []
        for (stage, method), group in _grouped(self.entries.values()).items():
            row = {"stage": stage, "method": method, "runs": len(group),
                   "to_train": sum(e.finished is None for e in group)}
            if costs is not None:
                row["hours_to_train"] = _hours([e for e in group if e.finished is None], costs)
            rows.append(row)
        return pd.DataFrame(rows)


def _grouped(entries) -> dict[tuple[str, str], list[PlannedRun]]:
    groups: dict[tuple[str, str], list[PlannedRun]] = {}
    for e in entries:
        groups.setdefault((e.stage, e.method), []).append(e)
    return groups


def _hours(entries: list[PlannedRun], costs: pd.DataFrame) -> float:
    """Estimated hours of ``entries`` from an ``acalib cost`` table (per dataset, stage and method; NaN where
    the table has no such run), less the share a part-trained run has done (``trained_steps`` of its steps)."""
    table = costs.groupby(["dataset", "stage", "algo"])["total_s"].median()
    seconds = [table.get((e.name.split("/")[0], e.stage, e.method), np.nan) * _left(e) for e in entries]
    return float(np.sum(seconds) / 3600) if seconds else 0.0


def _left(entry: PlannedRun) -> float:
    """The share of ``entry``'s steps still to train (1 for a run not started, a probe, or one with no steps)."""
    steps = entry.spec.get("steps") if entry.stage != "q_probe" else None
    return max(0.0, 1.0 - entry.trained_steps / steps) if steps else 1.0


class PlaceholderRun(RunDir):
    """A run that a plan will train: where it will be, the config its spec implies (what later requests read
    of it: stage, algorithm, dataset name, seeds, hyperparameters) and NaN metrics at its evaluation steps."""

    def __init__(self, path: str | Path, spec: RunSpec, seeds: list[int]):
        super().__init__(path)
        self.spec, self.seeds = spec, list(seeds)

    @property
    def done(self) -> bool:
        return False

    def config(self) -> dict:
        s = self.spec
        dataset = {**(s.data or {}), "name": s.dataset, "env": s.dataset.split("-", 1)[0]}
        return {"stage": s.stage, "algo": s.algo, "dataset": dataset, "seeds": self.seeds, "steps": s.steps,
                "hyperparameters": s.hyperparameters, "init": s.init, "critic": s.critic, "planned": True}

    def planned_metrics(self) -> pd.DataFrame:
        """The rows its metrics.csv will have (step, seed), with NaN scores."""
        interval, steps = self.spec.loop["eval_interval"], self.spec.steps
        at = [*([0] if self.spec.stage != "offline" else []), *range(interval, steps + 1, interval),
              *([steps] if steps % interval else [])]
        return pd.DataFrame([{"stage": self.spec.stage, "step": step, "seed": seed, "return": np.nan,
                              "normalized_score": np.nan} for step in at for seed in self.seeds])


def runs_cells(source: str | Path) -> list:
    """The code cells planning executes: every code cell up to the last one tagged ``runs`` (none if no cell
    is). The ``parameters`` cell is among them."""
    import jupytext

    cells = [c for c in jupytext.read(source).cells if c.cell_type == "code"]
    tagged = [i for i, c in enumerate(cells) if RUNS_TAG in c.metadata.get("tags", [])]
    return cells[:tagged[-1] + 1] if tagged else []


def plan_notebook(plan: Plan, source: str | Path, parameters: dict, notebook: str | None = None) -> Plan:
    """Add the runs the notebook ``source`` asks for at ``parameters`` to ``plan`` (nothing is trained)."""
    import matplotlib

    matplotlib.use("Agg")
    namespace: dict = {"__name__": "__acalib_plan__"}
    with planning(plan, notebook), contextlib.redirect_stdout(io.StringIO()):
        for cell in runs_cells(source):
            exec(compile(cell.source, f"{source}", "exec"), namespace)  # noqa: S102 -- the project's own notebooks
            if "parameters" in cell.metadata.get("tags", []):
                namespace.update(parameters)  # as papermill injects them after the parameters cell
    return plan


def plan_notebooks(profile: str, only: str | list[str] | None = None, root: str | Path | None = None,
                   device: str = "cpu", seeds: list[int] | None = None, recompute: bool | float = False,
                   recompute_stages: str = "all", registry=None) -> Plan:
    """The plan of every chosen notebook of the suite at ``profile`` (those the profile leaves out are skipped).
    Runs are looked up under ``$ACALIB_RUNS_DIR`` (else ``<root>/runs``) and ``<root>/results/runs``."""
    from .profiles import get_profile
    from .study import repo_root
    from .suite import select

    spec = get_profile(profile)
    root = repo_root() if root is None else Path(root).resolve()
    plan = Plan(spec.name)
    for nb in select(only, registry):
        if spec.left_out_reason(nb.name) is None:
            plan_notebook(plan, root / "notebooks" / nb.source,
                          {"profile": spec.name, "root": str(root), "device": device, "seeds": seeds,
                           "recompute": recompute, "recompute_stages": recompute_stages,
                           "figures_dir": None, "tables_dir": None}, nb.name)
    return plan


def print_summary(plan: Plan, costs: pd.DataFrame | None = None) -> str:
    """What ``acalib plan`` prints: the table of ``Plan.summary`` and one line of totals."""
    table = plan.summary(costs)
    counts = Counter(e.finished or "to train" for e in plan.entries.values())
    line = (f"profile {plan.profile}: {len(plan.entries)} runs and probes, {counts['to train']} to train, "
            f"{counts['repository']} committed, {counts['cached']} cached")
    started = [e for e in plan.missing() if e.trained_steps]
    if started:
        line += " (part-trained, resumed where they stopped: " + ", ".join(
            f"{e.name} at {e.trained_steps:,} of {e.spec['steps']:,} steps" for e in started) + ")"
    if costs is not None and "hours_to_train" in table:
        line += f"; ≈ {table['hours_to_train'].sum():.1f} single-core hours to train (acalib cost)"
    return (table.to_string(index=False) if len(table) else "(no runs)") + "\n" + line
