"""Planning (acalib/plan.py): every run the notebooks ask for, with what it starts from, without training;
plans round-trip through JSON; placeholders carry what later requests read; bad input is refused.
That the tiny notebooks train nothing after the tiny plan is trained is checked in tests/test_suite.py."""
import json

import numpy as np
import pytest

from acalib import cli
from acalib.plan import Plan, PlannedRun, PlaceholderRun, plan_notebooks, planning, runs_cells
from acalib.study import Study

from test_suite import REPO


def test_the_tiny_plan_lists_every_run_with_its_init_first_and_trains_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("ACALIB_RUNS_DIR", str(tmp_path / "runs"))
    plan = plan_notebooks("tiny", root=REPO)
    assert not (tmp_path / "runs").exists()  # nothing trained, not even a folder made
    names = list(plan.entries)
    for i, entry in enumerate(plan.entries.values()):
        assert entry.finished is None and entry.notebooks  # every run is asked for by some notebook
        assert all(need in names[:i] for need in entry.needs), entry.name  # init runs come first
        if entry.stage in ("online", "actor_only", "q_probe"):
            assert len(entry.needs) == 1 and plan.entries[entry.needs[0]].stage == "offline"
        else:
            assert entry.needs == []
    online = [e for e in plan.entries.values() if e.stage == "online"]
    assert {e.method for e in online} >= {"aca", "sac", "br", "awac", "aca_bc_only", "aca_r_init_q"}
    br = next(e for e in online if e.method == "br")
    assert plan.entries[br.needs[0]].method in ("cql_ensemble", "sac_ml_ensemble")  # BR on its ensemble
    # the runs shared by notebooks are planned once, with every notebook that asks for them
    shared = [e for e in plan.entries.values() if len(e.notebooks) > 1]
    assert any(e.method == "aca" and {"claims", "fig05"} <= set(e.notebooks) for e in shared)
    again = Plan.from_json(plan.to_json())
    assert again.to_json() == plan.to_json() and again.entries[br.name].run_spec().name == br.name


def test_the_claims_notebook_plans_at_a_profile_of_three_environments(tmp_path, monkeypatch):
    """At ``paper`` (HalfCheetah first): C1-C3 and C6 on Hopper's medium run, C4/C5 on every dataset's ACA run."""
    monkeypatch.setenv("ACALIB_RUNS_DIR", str(tmp_path / "runs"))
    plan = plan_notebooks("paper", ["claims"], root=REPO)
    methods = {(name.split("/")[0], e.method) for name, e in plan.entries.items()}
    assert {("hopper-medium", "sac"), ("hopper-medium", "aca_bc_only"), ("hopper-medium", "aca_r_init_q"),
            ("hopper-random", "actor_only_aligned")} <= methods
    assert not any(m in ("sac", "aca_bc_only", "actor_only_offline") for d, m in methods if not d.startswith("hopper-"))
    assert {d for d, m in methods if m == "aca"} == {f"{env}-{level}" for env in ("halfcheetah", "hopper", "walker2d")
                                                     for level in ("random", "medium", "medium-replay",
                                                                   "medium-expert", "expert")}


def test_claims_restricts_an_artifacts_levels_except_where_only_datasets_are_read(tmp_path):
    """At claims an artifact's levels are cut to the profile's (no expert run is trained); Fig. 9, which only
    reads datasets, keeps its three levels (the expert level's states are the claims actor-only runs' too)."""
    study = Study("claims", root=tmp_path, progress=False)
    three = ("random", "medium", "expert")
    assert study.datasets(three, limit=False) == ["hopper-random", "hopper-medium"]
    assert study.datasets(three, limit=False, restrict=False) == ["hopper-random", "hopper-medium", "hopper-expert"]
    assert Study("smoke", root=tmp_path, progress=False).datasets(three) == ["hopper-random"]  # smoke: the first


def test_a_planned_run_is_the_run_a_notebook_trains(tmp_path, minari_root):
    """The planned spec names the directory that Study trains; a finished run is planned as finished."""
    with planning(Plan("tiny")) as plan:
        study = Study("tiny", root=tmp_path, progress=False)
        off = study.offline("sac_ml", "hopper-random", steps=50)
        aca = study.online("aca", off, steps=100)
    assert isinstance(off, PlaceholderRun) and not off.done
    assert aca.config()["seeds"] == off.config()["seeds"] == [0, 1]
    frame = Study.metrics(aca)
    assert sorted(frame["step"].unique()) == [0, 100] and frame["normalized_score"].isna().all()
    trained = Study("tiny", root=tmp_path, progress=False)
    real_off = trained.offline("sac_ml", "hopper-random", steps=50)
    assert real_off.path == off.path and f"{real_off.path.parent.name}/{real_off.path.name}" in plan.entries
    with planning(Plan("tiny")) as replanned:
        study = Study("tiny", root=tmp_path, progress=False)
        again = study.online("aca", study.offline("sac_ml", "hopper-random", steps=50), steps=100)
    assert [e.finished for e in replanned.entries.values()] == ["cached", None]
    assert again.path == aca.path
    path = trained.run_planned(replanned.entries[f"hopper-random/{aca.path.name}"])
    assert path == aca.path and (path / "done").is_file()
    assert np.isfinite(Study.metrics(trained.find(f"hopper-random/{aca.path.name}"))["normalized_score"]).all()


def test_only_the_cells_up_to_the_last_runs_cell_are_planned(tmp_path):
    source = tmp_path / "nb.py"
    source.write_text('# %% tags=["parameters"]\nx = 1\n\n# %%\ny = x + 1\n\n# %% tags=["runs"]\nz = y\n\n'
                      '# %%\nraise RuntimeError("after the runs: never executed by planning")\n')
    assert [c.source for c in runs_cells(source)] == ["x = 1", "y = x + 1", "z = y"]
    source.write_text("# %%\nprint('no runs here')\n")
    assert runs_cells(source) == []


def test_acalib_plan_prints_a_summary_and_writes_json(tmp_path, capsys):
    out = tmp_path / "plan.json"
    assert cli.main(["plan", "--profile", "tiny", "--only", "fig07", "--root", str(tmp_path / "runs"),
                     "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    data = json.loads(out.read_text())
    assert data["profile"] == "tiny" and len(data["runs"]) == 4  # SAC+ML; ACA, its BC-only and R-init-by-Q
    assert "profile tiny: 4 runs and probes, 4 to train" in printed and "aca_bc_only" in printed
    assert cli.main(["plan", "--profile", "claims", "--only", "fig07"]) == 0
    assert "single-core hours to train (acalib cost)" in capsys.readouterr().out  # the measured claims/100 pass


def test_bad_plan_input_is_refused_by_name(capsys):
    assert cli.main(["plan", "--profile", "nope"]) == 2
    assert "unknown profile 'nope'" in capsys.readouterr().err
    assert cli.main(["plan", "--profile", "tiny", "--only", "fig99"]) == 2
    assert "unknown notebook(s) ['fig99']" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["reproduce", "--executor", "slurm"])
    assert "invalid choice: 'slurm'" in capsys.readouterr().err
    assert cli.main(["reproduce", "--profile", "tiny", "--address", "10.0.0.1:6379"]) == 2
    assert "pass it with --executor ray" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["reproduce", "--executor", "ray", "--device", "cuda", "--gpus-per-run", "1.5"])
    assert "a fraction in (0, 1] or a whole number" in capsys.readouterr().err
    plan = Plan("tiny")
    plan.add(PlannedRun("d/x-1", "offline", {"steps": 1, "overrides": {}}))
    plan.add(PlannedRun("d/x-1", "offline", {"steps": 1, "overrides": {"beta": 7.0}}))  # same resolved run
    with pytest.raises(RuntimeError, match="two different descriptions of run d/x-1"):
        plan.add(PlannedRun("d/x-1", "offline", {"steps": 2, "overrides": {}}))


def test_nothing_but_the_ray_executor_imports_ray():
    """Ray is an optional extra: the library, the planner and the command line run without importing it."""
    import subprocess
    import sys

    code = ("import sys, acalib.study, acalib.suite, acalib.cli, acalib.plan, acalib.executors; "
            "from acalib.plan import plan_notebooks; plan_notebooks('tiny', only='fig01'); "
            "assert 'ray' not in sys.modules, 'ray imported'")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)
