"""Train only the AntMaze runs of Table 3 / Fig. 12 at a scaled profile, for ``acalib cost``.

    ACALIB_RUNS_DIR=/tmp/antmaze-cost/runs OMP_NUM_THREADS=1 python benchmarks/antmaze_cost_pass.py lite/100 paper/250
    acalib cost --profile lite/100 --root /tmp/antmaze-cost --csv results/cost/lite-from-lite-div100-antmaze.csv

The runs are asked of a ``Study`` exactly as the table3 notebook asks for them (SAC+ML offline with the
profile's Table 3 seeds, then SAC→ACA for its long online phase), so ``acalib cost`` extrapolates the same runs that
``acalib reproduce --profile <profile> --only table3`` would train, without that notebook's locomotion rows (whose
costs the profile's whole-grid pass has measured already). Needs the antdir zoo (or D4RL's AntMaze files).
"""
from __future__ import annotations

import sys
import time

from acalib.study import Study


def main(profiles: list[str]) -> None:
    for profile in profiles:
        study = Study(profile, progress=False)
        runnable, missing = study.antmaze()
        if missing:
            raise SystemExit(f"{profile}: AntMaze data missing here: {missing}")
        for name in runnable:
            start = time.perf_counter()
            off = study.offline("sac_ml", name, seeds=list(study.profile.long_seeds))
            study.online("aca", off, steps=study.profile.long_online_steps)
            print(f"{profile} {name}: SAC+ML and SAC→ACA in {time.perf_counter() - start:.0f} s", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:] or ["lite/100", "paper/250"])
