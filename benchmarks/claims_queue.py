"""Train the claims profile's runs one after another, one process per core, resumable.

    OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 nohup .venv/bin/python benchmarks/claims_queue.py \\
        --runs-root /work/claims-runs off:sac_ml:medium on:aca:medium ... > core1.log 2>&1 &

A task is ``off:ALGO:LEVEL`` (an offline run), ``on:ALGO:LEVEL[:OFFALGO]`` (an online run from the
OFFALGO run on that level, default sac_ml) or ``ao:CRITIC:LEVEL[:OFFALGO]`` (actor-only updates from the
hopper-medium OFFALGO run on LEVEL's states, with the offline or aligned critic). Each is asked of a
``Study("claims")`` exactly as the notebooks ask for it, so the run directories are the ones they find;
a finished run is skipped, a killed one resumes from its last checkpoint (and from the repository's
``results/resume/claims/`` snapshot when ``runs_root`` has none: ``acalib snapshot-runs``).
"""
from __future__ import annotations

import argparse
import sys
import time

from acalib.study import Study


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


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tasks", nargs="+")
    parser.add_argument("--runs-root", required=True)
    parser.add_argument("--root", default=None, help="the acalib checkout (default: this one)")
    args = parser.parse_args(argv)
    study = Study("claims", root=args.root, runs_root=args.runs_root)
    for task in args.tasks:
        start = time.time()
        print(f"[{time.strftime('%H:%M:%S')}] start {task}", flush=True)
        run = run_task(study, task)
        print(f"[{time.strftime('%H:%M:%S')}] done {task}: {run.path} ({time.time() - start:.0f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
