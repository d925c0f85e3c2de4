"""Train the claims profile's runs one after another, one process per core, resumable.

    OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 nohup .venv/bin/python benchmarks/claims_queue.py \\
        --runs-root /work/claims-runs off:sac_ml:medium on:aca:medium ... > core1.log 2>&1 &

A task is ``off:ALGO:LEVEL`` (an offline run), ``on:ALGO:LEVEL[:OFFALGO]`` (an online run from the
OFFALGO run on that level, default sac_ml) or ``ao:CRITIC:LEVEL[:OFFALGO]`` (actor-only updates from the
hopper-medium OFFALGO run on LEVEL's states, with the offline or aligned critic) or ``plan:NAME`` (any run of
``acalib plan --profile claims`` by its name, e.g. ``plan:hopper-medium/aca_delayed_pi-a97b99ecc3``: the runs
that the three task kinds above cannot describe, such as the delayed-pi, burn-in and beta runs). Each is asked of a
``Study("claims")`` exactly as the notebooks ask for it, so the run directories are the ones they find;
a finished run is skipped, a killed one resumes from its last checkpoint (and from the repository's
``results/resume/claims/`` snapshot when ``runs_root`` has none: ``acalib export-runs --resume-points``).

Online runs hold a replay buffer, which is never committed, so an online run cut by the end of a session
restarts from step 0 on the next machine. ``--online-until HH:MM`` (local time) starts no online task after
that time: it is skipped and named, to be queued first next session, and the queue goes on with the
resumable tasks (offline, actor-only) behind it.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import datetime, timedelta

from acalib.plan import PlannedRun, plan_notebooks
from acalib.runs import RunDir
from acalib.study import Study


def planned(name: str, plan) -> PlannedRun:
    """The entry ``name`` of the claims plan; an unknown name is refused with the names still to train."""
    if name not in plan.entries:
        todo = ", ".join(e.name for e in plan.missing())
        raise SystemExit(f"claims_queue: the claims plan has no run {name!r}; runs still to train: {todo}")
    return plan.entries[name]


def run_task(study: Study, task: str):
    kind, algo, level, *rest = task.split(":")
    env = study.profile.envs[0]
    if kind == "off":
        return study.offline(algo, f"{env}-{level}")
    off_algo = rest[0] if rest else "sac_ml"
    if kind == "on":
        return study.online(algo, study.offline(off_algo, f"{env}-{level}"))
    if kind == "ao":
        return study.actor_only(study.offline(off_algo, f"{env}-medium"), f"{env}-{level}", critic=algo)
    raise ValueError(f"unknown task kind {kind!r} in {task!r}; valid: off, on, ao")


def deadline(text: str, now: datetime) -> datetime:
    """The next time ``text`` (HH:MM, local) comes after ``now``: today's, or tomorrow's once today's has passed
    (a session that crosses midnight). Anything that is not a time is refused."""
    try:
        hours, minutes = (int(part) for part in text.split(":"))
    except ValueError:
        hours = minutes = -1
    if not (0 <= hours < 24 and 0 <= minutes < 60):
        raise SystemExit(f"claims_queue: --online-until {text!r} is not a time HH:MM (00:00 to 23:59)")
    at = now.replace(hour=hours, minute=minutes, second=0, microsecond=0)
    return at if at > now else at + timedelta(days=1)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tasks", nargs="+")
    parser.add_argument("--runs-root", required=True)
    parser.add_argument("--root", default=None, help="the acalib checkout (default: this one)")
    parser.add_argument("--online-until", default=None, metavar="HH:MM",
                        help="start no online task after this local time (default: no limit)")
    args = parser.parse_args(argv)
    until = deadline(args.online_until, datetime.now()) if args.online_until else None
    study = Study("claims", root=args.root, runs_root=args.runs_root)
    entries = {}  # plan: tasks, resolved (and a bad name refused) before anything trains
    if any(task.startswith("plan:") for task in args.tasks):
        os.environ["ACALIB_RUNS_DIR"] = str(args.runs_root)
        plan = plan_notebooks("claims", root=args.root)
        entries = {task: planned(task.removeprefix("plan:"), plan) for task in args.tasks if task.startswith("plan:")}
    for task in args.tasks:
        online = task.startswith("on:") or (task in entries and entries[task].stage == "online")
        if until is not None and online and datetime.now() > until:
            print(f"[{time.strftime('%H:%M:%S')}] skipped {task}: online runs start only until {until:%H:%M} "
                  f"(not resumable across machines); queue it first next time", flush=True)
            continue
        start = time.time()
        print(f"[{time.strftime('%H:%M:%S')}] start {task}", flush=True)
        run = RunDir(study.run_planned(entries[task])) if task in entries else run_task(study, task)
        print(f"[{time.strftime('%H:%M:%S')}] done {task}: {run.path} ({time.time() - start:.0f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
