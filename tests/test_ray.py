"""The Ray executor (acalib/executors.py) on a local Ray with 2 CPUs: a worker killed mid-run by a real
SIGKILL is retried and resumes to the metrics of an uninterrupted run; a run that raises is reported by
name, the runs that start from it are not run, and the command fails; a worker that cannot see the runs
root is refused by name. (The whole tiny suite through Ray: tests/test_suite.py.)"""
import os
import signal
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from acalib import cli, suite
from acalib.executors import MARKS, RootNotVisibleError, check_root, resources, run_plan_on_ray
from acalib.plan import Plan, plan_notebooks, planning
from acalib.study import Study

TIMES = ["time_s", "eval_s"]


def plan_of(tmp_path, request) -> Plan:
    with planning(Plan("tiny")) as plan:
        request(Study("tiny", root=tmp_path, runs_root=tmp_path / "runs", progress=False))
    return plan


def test_a_killed_worker_is_retried_and_resumes_from_its_checkpoint(tmp_path, minari_root):
    steps = 1200
    plan = plan_of(tmp_path, lambda s: s.offline("sac_ml", "hopper-random", steps=steps))
    (entry,) = plan.entries.values()
    run_dir = tmp_path / "runs" / "tiny" / entry.name
    killed = {}

    def kill_after_first_checkpoints():
        deadline = time.time() + 300
        while time.time() < deadline and not killed:
            marks = list((tmp_path / "runs" / MARKS).glob("*.started/*"))
            if marks and (run_dir / "checkpoints" / "last.pt").is_file() and (run_dir / "metrics.csv").is_file():
                if pd.read_csv(run_dir / "metrics.csv")["step"].max() >= 300:
                    pid = int(marks[0].read_text().split()[0])
                    os.kill(pid, signal.SIGKILL)  # the worker process itself, as a lost node would lose it
                    killed.update(pid=pid, step=int(pd.read_csv(run_dir / "metrics.csv")["step"].max()))
            time.sleep(0.2)

    killer = threading.Thread(target=kill_after_first_checkpoints)
    killer.start()
    outcome = run_plan_on_ray(plan, tmp_path / "runs", tmp_path, num_cpus=2, progress=False)
    killer.join()
    assert killed and killed["step"] < steps, "the worker was not killed mid-run"
    assert outcome.ok and list(outcome.trained) == [entry.name]
    assert outcome.trained[entry.name]["pid"] != killed["pid"]  # the retry ran in another worker
    whole = Study("tiny", root=tmp_path, runs_root=tmp_path / "whole", progress=False).offline(
        "sac_ml", "hopper-random", steps=steps)
    pd.testing.assert_frame_equal(pd.read_csv(run_dir / "metrics.csv").drop(columns=TIMES),
                                  pd.read_csv(whole.metrics_path).drop(columns=TIMES))


def test_a_run_that_raises_is_named_its_dependents_are_not_run_and_the_command_fails(tmp_path, minari_root,
                                                                                    capsys, monkeypatch):
    """Through `acalib reproduce --executor ray` on a notebook whose runs cell asks for three runs: one that
    trains, one that raises in its worker (its folder holds a stray file, so it is not a run directory) and
    an online run from that one."""
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "acalib").symlink_to(Path(cli.__file__).parent)  # a checkout: Ray's workers import from its folder
    (tmp_path / "notebooks" / "fig99.py").write_text(
        '# %% tags=["parameters"]\nprofile = "tiny"\nroot = None\ndevice = "cpu"\nseeds = None\nrecompute = False\n'
        'recompute_stages = "all"\nfigures_dir = None\ntables_dir = None\n\n'
        '# %%\nfrom acalib.study import Study\nstudy = Study(profile, root, device, seeds, recompute)\n\n'
        '# %% tags=["runs"]\ngood = study.offline("sac_ml", "hopper-random", steps=20)\n'
        'bad = study.offline("sac_ml", "hopper-random", steps=30)\n'
        'after = study.online("sac", bad, steps=20)\n\n'
        '# %%\nraise RuntimeError("never reached: a run it needs failed")\n')
    registry = (suite.Notebook("fig99", "fig99.py", figures=("fig99",)),)
    monkeypatch.delenv("ACALIB_RUNS_DIR", raising=False)
    plan = plan_notebooks("tiny", root=tmp_path, registry=registry)
    bad, after = (e.name for e in plan.entries.values() if e.spec["steps"] == 30 or e.stage == "online")
    (tmp_path / "runs" / "tiny" / bad).mkdir(parents=True)
    (tmp_path / "runs" / "tiny" / bad / "stray.txt").write_text("not a run\n")

    result = suite.reproduce("tiny", root=tmp_path, registry=registry, progress=False, executor="ray")
    assert list(result.runs.failed) == [bad] and "holds ['stray.txt'] but no config.json" in result.runs.failed[bad]
    assert result.runs.skipped == {after: f"not run: the run it starts from, {bad}, failed"}
    assert len(result.runs.trained) == 1 and not result.ok
    assert result.results[0].error.startswith(f"run {bad} failed on Ray: ValueError")
    # the command line: the failed runs named, a non-zero exit
    monkeypatch.setattr(suite, "NOTEBOOKS", registry)
    monkeypatch.chdir(tmp_path)
    assert cli.main(["reproduce", "--profile", "tiny", "--executor", "ray", "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert f"acalib: run {bad} failed: ValueError" in err and f"acalib: run {after} failed: not run" in err
    assert "acalib: notebook fig99 failed" in err


def test_a_worker_that_cannot_see_the_root_is_refused_by_name(tmp_path):
    with pytest.raises(RootNotVisibleError, match=f"cannot see --root {tmp_path}.*every node mounts"):
        check_root(str(tmp_path), "0123abcd")
    (tmp_path / MARKS).mkdir()
    (tmp_path / MARKS / "0123abcd").write_text("host 1\n")
    assert check_root(str(tmp_path), "0123abcd")


def test_resources_per_run():
    assert resources("cpu") == {"num_cpus": 1.0, "num_gpus": 0.0}
    assert resources("cuda", 0.25) == {"num_cpus": 1.0, "num_gpus": 0.25}
    assert resources("cuda:1") == {"num_cpus": 1.0, "num_gpus": 1.0}
    with pytest.raises(ValueError, match="gpus_per_run 1.5"):
        resources("cuda", 1.5)
    with pytest.raises(ValueError, match="cpus_per_run 0"):
        resources("cpu", cpus_per_run=0)


def test_the_ray_executor_without_ray_says_how_to_install_it(tmp_path, monkeypatch, capsys):
    import sys
    monkeypatch.setitem(sys.modules, "ray", None)  # what `import ray` meets where Ray is not installed
    monkeypatch.chdir(Path(__file__).resolve().parents[1])
    assert cli.main(["reproduce", "--profile", "tiny", "--only", "fig01", "--executor", "ray",
                     "--root", str(tmp_path / "runs"), "--no-progress"]) == 2
    assert "pip install 'acalib[ray]'" in capsys.readouterr().err
    assert not (tmp_path / "runs").exists()  # refused before anything was trained
