"""The claim statistics (acalib/claims.py) against hand computations on synthetic metrics, the
bootstrap with a fixed seed, the verdict rules (a claim that holds, one that does not, one that is
inconclusive), bad input, and `acalib claims` on the tiny runs."""
import json
import lzma

import numpy as np
import pandas as pd
import pytest

from acalib import claims
from acalib.claims import ABOVE, BELOW, DOES_NOT_HOLD, HOLDS, INCONCLUSIVE, NOT_BELOW, ClaimDataError


def metrics(scores: dict[int, list[float]], steps: list[int]) -> pd.DataFrame:
    """metrics.csv-like rows: one per (step, seed)."""
    return pd.DataFrame([{"step": step, "seed": seed, "normalized_score": value}
                         for seed, values in scores.items() for step, value in zip(steps, values)])


def test_online_statistics_by_hand():
    steps = list(range(0, 13_000, 1000))  # 0, 1k, ..., 12k
    seed0 = [50.0] + [40.0] * 5 + [60.0] * 5 + [70.0, 80.0]  # early = mean of 1k..10k = 50
    seed1 = [20.0] + list(range(1, 13))  # early = mean(1..10) = 5.5
    stats = claims.online_statistics(metrics({0: seed0, 1: seed1}, steps))
    assert stats.loc[0, "s0"] == 50 and stats.loc[0, "early"] == 50 and stats.loc[0, "change"] == 0
    assert stats.loc[0, "delta"] == 80 - 50
    assert stats.loc[1, "early"] == pytest.approx(5.5) and stats.loc[1, "change"] == pytest.approx(-14.5)
    assert stats.loc[1, "delta"] == 12 - 20


def test_actor_only_statistics_by_hand():
    steps = [0, 500, 1000, 1500, 2000]
    stats = claims.actor_only_statistics(metrics({3: [10, 9, 1, 2, 3], 4: [5, 5, 5, 5, 8]}, steps))
    assert stats.loc[3, "change"] == pytest.approx(2 - 10)  # mean(1, 2, 3) - 10
    assert stats.loc[4, "change"] == pytest.approx(6 - 5)


def test_bootstrap_is_the_percentile_interval_of_resampled_means():
    values = np.array([1.0, 4.0, 2.0, 8.0, 5.0])
    mean, low, high = claims.bootstrap_interval(values, resamples=10_000, seed=0)
    rng = np.random.default_rng(0)  # the same draw, computed independently
    draws = np.array([values[rng.integers(0, 5, size=5)].mean() for _ in range(10_000)])
    assert mean == pytest.approx(4.0)
    assert (low, high) == pytest.approx(tuple(np.percentile(draws, [2.5, 97.5])))
    assert claims.bootstrap_interval(values) == claims.bootstrap_interval(values)  # fixed seed: repeatable
    assert low < mean < high


def test_interval_tests_and_verdicts():
    assert claims.test_outcome(BELOW, -3, -1) == HOLDS
    assert claims.test_outcome(BELOW, 1, 3) == DOES_NOT_HOLD  # the interval on the wrong side
    assert claims.test_outcome(BELOW, -1, 2) == INCONCLUSIVE
    assert claims.test_outcome(ABOVE, 0.5, 2) == HOLDS
    assert claims.test_outcome(ABOVE, -2, -0.1) == DOES_NOT_HOLD
    assert claims.test_outcome(NOT_BELOW, -5, 0.0) == HOLDS  # reaches 0
    assert claims.test_outcome(NOT_BELOW, -5, -0.1) == DOES_NOT_HOLD
    assert claims.combine([HOLDS, HOLDS]) == HOLDS
    assert claims.combine([HOLDS, INCONCLUSIVE]) == INCONCLUSIVE
    assert claims.combine([INCONCLUSIVE, DOES_NOT_HOLD]) == DOES_NOT_HOLD
    with pytest.raises(ValueError, match="unknown test"):
        claims.test_outcome("<=", 0, 1)


def test_claims_frame_combines_the_tests_of_a_claim():
    seeds = pd.Index([0, 1, 2], name="seed")
    tests = [claims.Test("C3", "s", "change (aligned)", pd.Series([1.0, 2.0, 3.0], seeds), NOT_BELOW),  # holds
             claims.Test("C3", "s", "paired", pd.Series([-1.0, 1.0, 0.5], seeds), ABOVE),  # inconclusive
             claims.Test("C1", "m", "change", pd.Series([3.0, 4.0, 5.0], seeds), BELOW)]  # does not hold
    frame = claims.claims_frame(tests)
    assert list(frame["outcome"]) == [HOLDS, INCONCLUSIVE, DOES_NOT_HOLD]
    assert list(frame["verdict"]) == [INCONCLUSIVE, INCONCLUSIVE, DOES_NOT_HOLD]
    assert frame.loc[2, "mean"] == 4.0 and frame.loc[2, "seeds"] == 3


def test_paired_difference_pairs_shared_seeds():
    a = pd.Series([1.0, 2.0, 3.0], index=[0, 1, 2])
    b = pd.Series([10.0, 20.0], index=[2, 1])
    assert claims.paired(a, b).sort_index().tolist() == [2 - 20, 3 - 10]
    with pytest.raises(ClaimDataError, match="share no seed"):
        claims.paired(a, pd.Series([1.0], index=[7]))


def test_bad_metrics_get_clear_errors():
    no_switch = metrics({0: [1, 2, 3]}, [1000, 2000, 3000])
    with pytest.raises(ClaimDataError, match="run X: no evaluation at step 0"):
        claims.online_statistics(no_switch, "run X")
    with pytest.raises(ClaimDataError, match="no online evaluation after step 0"):
        claims.online_statistics(metrics({0: [1]}, [0]))
    with pytest.raises(ClaimDataError, match="needs 3"):
        claims.actor_only_statistics(metrics({0: [1, 2]}, [0, 100]))
    with pytest.raises(ClaimDataError, match="lack the columns"):
        claims.online_statistics(pd.DataFrame({"step": [0], "seed": [0]}))
    with pytest.raises(ClaimDataError, match="finite values"):
        claims.bootstrap_interval([1.0, float("nan")])


def test_committed_runs_are_loaded_not_retrained_and_online_recompute_matches(tmp_path, minari_root):
    """Runs exported to <root>/results/runs (as the claims profile's are committed) are used as they are
    by a Study with an empty runs folder; recompute_stages="online" retrains the online run from the
    committed (trimmed, compressed) offline checkpoint and gets the same metrics bit for bit."""
    from acalib.study import MissingRunError, Study, export_runs

    trained_here = Study("tiny", root=tmp_path / "a", progress=False)
    off = trained_here.offline("sac_ml", "hopper-random", steps=60)
    aca = trained_here.online("aca", off, steps=300)
    probe = trained_here.q_probe(off, "hopper-random", points=5)
    assert {e["source"] for e in trained_here.used} == {"trained"}

    written = export_runs("tiny", runs_root=tmp_path / "a" / "runs", root=tmp_path / "b")
    assert len(written) == 3
    committed = tmp_path / "b" / "results" / "runs" / "tiny" / "hopper-random"
    assert (committed / off.path.name / "checkpoints" / "final.pt.xz").is_file()
    assert not (committed / aca.path.name / "checkpoints").exists()  # online runs: no checkpoint
    probe_file, = committed.glob("q_probe-*")
    assert probe_file.name.endswith(".csv.xz") and lzma.decompress(probe_file.read_bytes()).startswith(b"q,states,")
    # the index of the committed runs, against the runs' own metrics and summaries
    index = pd.read_csv(committed.parent / "index.csv").set_index("run")
    assert sorted(index.index) == sorted(f"hopper-random/{p.name}" for p in (off.path, aca.path, probe_file))
    row = index.loc[f"hopper-random/{aca.path.name}"]
    metrics = pd.read_csv(aca.path / "metrics.csv")
    assert (row["stage"], row["method"], row["starts_from"], row["seeds"], row["steps"], row["first_step"]) == (
        "online", "aca", f"hopper-random/{off.path.name}", 2, 300, 0)
    assert row["score_first"] == pytest.approx(metrics.query("step == 0")["normalized_score"].mean(), rel=1e-5)
    assert row["score_last"] == pytest.approx(metrics.query("step == 300")["normalized_score"].mean(), rel=1e-5)
    assert row["hours"] == pytest.approx(json.loads((aca.path / "done").read_text())["time_s"] / 3600, rel=1e-5)
    assert index.loc[f"hopper-random/{off.path.name}", "first_step"] > 0  # offline: no evaluation at step 0
    assert f"| hopper-random/{aca.path.name} | online | aca |" in (committed.parent / "index.md").read_text()

    fresh = Study("tiny", root=tmp_path / "b", progress=False, train=False)
    off_b = fresh.offline("sac_ml", "hopper-random", steps=60)
    aca_b = fresh.online("aca", off_b, steps=300)
    probe_b = fresh.q_probe(off_b, "hopper-random", points=5)
    assert [e["source"] for e in fresh.used] == ["repository"] * 3
    pd.testing.assert_frame_equal(probe_b, probe, rtol=1e-6, check_dtype=False)  # float32 values to 7 digits
    assert aca_b.path == committed / aca.path.name
    assert not (tmp_path / "b" / "runs").exists()  # nothing trained
    with pytest.raises(MissingRunError, match="train it first with `acalib reproduce --profile tiny`"):
        fresh.online("sac", off_b, steps=300)

    again = Study("tiny", root=tmp_path / "b", progress=False, recompute=True, recompute_stages="online")
    off_c = again.offline("sac_ml", "hopper-random", steps=60)
    aca_c = again.online("aca", off_c, steps=300)
    assert [e["source"] for e in again.used] == ["repository", "trained"]
    assert aca_c.path == tmp_path / "b" / "runs" / "tiny" / "hopper-random" / aca.path.name
    pd.testing.assert_frame_equal(pd.read_csv(aca_c.metrics_path).drop(columns=["time_s", "eval_s"]),
                                  pd.read_csv(aca.metrics_path).drop(columns=["time_s", "eval_s"]))


def test_resume_points_carry_an_unfinished_run_to_another_machine(tmp_path, minari_root, monkeypatch):
    """An offline run killed after its checkpoint at step 100 is committed as a resume point
    (``export_runs(resume_points=True)``); a Study in another checkout with an empty runs folder
    restores it, trains only steps 101-200 (an update at step 0 would fail), and ends with the metrics
    of an uninterrupted run, bit for bit. Exporting the finished run removes its resume point."""
    from acalib.algos.sac_ml import SACML
    from acalib.study import MissingRunError, Study, export_runs
    from test_runs import kill_at

    whole = Study("tiny", root=tmp_path / "whole", progress=False).offline("sac_ml", "hopper-random")

    restore = kill_at(monkeypatch, SACML, step=150)
    with pytest.raises(KeyboardInterrupt):
        Study("tiny", root=tmp_path / "a", progress=False).offline("sac_ml", "hopper-random")
    restore()
    assert export_runs("tiny", runs_root=tmp_path / "a" / "runs", root=tmp_path / "b") == []  # nothing finished
    written = export_runs("tiny", runs_root=tmp_path / "a" / "runs", root=tmp_path / "b", resume_points=True)
    point = tmp_path / "b" / "results" / "resume" / "tiny" / "hopper-random" / whole.path.name
    assert written == [point]
    assert sorted(p.name for p in point.rglob("*") if p.is_file()) == ["config.json", "dataset_checksums.json",
                                                                       "last.pt.xz", "metrics.csv"]
    assert sorted(pd.read_csv(point / "metrics.csv")["step"].unique()) == [100]

    # a plan counts what is done, from the run's own checkpoint or from the resume point, in its hours
    from acalib.plan import Plan, _hours, planning, print_summary
    name = f"hopper-random/{whole.path.name}"
    costs = pd.DataFrame([{"dataset": "hopper-random", "stage": "offline", "algo": "sac_ml", "total_s": 7200.0}])
    for checkout in ("a", "b"):
        with planning(Plan("tiny")) as plan:
            Study("tiny", root=tmp_path / checkout, progress=False).offline("sac_ml", "hopper-random")
        assert plan.entries[name].trained_steps == 100 and plan.entries[name].spec["steps"] == 200
        assert _hours(plan.missing(), costs) == pytest.approx(1.0)  # half of 2 h left
        assert f"(part-trained, resumed where they stopped: {name} at 100 of 200 steps)" in print_summary(plan)
    with planning(Plan("tiny")) as plan:  # under recompute the resume point is not used: all of it is left
        Study("tiny", root=tmp_path / "b", progress=False, recompute=True).offline("sac_ml", "hopper-random")
    assert plan.entries[name].trained_steps == 0 and _hours(plan.missing(), costs) == pytest.approx(2.0)

    with pytest.raises(MissingRunError):  # a Study that only loads does not train from a resume point
        Study("tiny", root=tmp_path / "b", progress=False, train=False).offline("sac_ml", "hopper-random")
    kill_at(monkeypatch, SACML, step=0)  # from scratch would fail at its first update
    resumed = Study("tiny", root=tmp_path / "b", progress=False).offline("sac_ml", "hopper-random")
    assert resumed.path == tmp_path / "b" / "runs" / "tiny" / "hopper-random" / whole.path.name and resumed.done
    pd.testing.assert_frame_equal(pd.read_csv(resumed.metrics_path).drop(columns=["time_s", "eval_s"]),
                                  pd.read_csv(whole.metrics_path).drop(columns=["time_s", "eval_s"]))
    export_runs("tiny", root=tmp_path / "b")
    assert not point.exists() and (tmp_path / "b" / "results" / "runs" / "tiny" / "hopper-random" /
                                   whole.path.name / "done").is_file()


def test_resume_points_refuse_what_they_cannot_carry(tmp_path, minari_root):
    """No snapshot of a finished run, of a run without a checkpoint, or of an online run (its replay
    buffer is never committed); no restore over a checkpoint; a damaged snapshot is refused by name."""
    import lzma

    from acalib.runs import RunDir, restore_snapshot, snapshot_run
    from acalib.study import Study

    study = Study("tiny", root=tmp_path, progress=False)
    off = study.offline("sac_ml", "hopper-random", steps=100)
    with pytest.raises(ValueError, match="has finished: export it"):
        snapshot_run(off, tmp_path / "s")
    with pytest.raises(ValueError, match="no checkpoint yet"):
        snapshot_run(RunDir(tmp_path / "empty"), tmp_path / "s")
    aca = study.online("aca", off, steps=200)
    (aca.path / "done").unlink()
    with pytest.raises(ValueError, match="holds a replay buffer"):
        snapshot_run(aca, tmp_path / "s")
    (off.path / "done").unlink()
    point = snapshot_run(off, tmp_path / "s")
    with pytest.raises(FileExistsError, match="already has a checkpoint"):
        restore_snapshot(point.path, off.path)
    packed = point.path / "checkpoints" / "last.pt.xz"
    raw = bytearray(lzma.decompress(packed.read_bytes()))
    raw[len(raw) // 2] ^= 0xFF
    packed.write_bytes(lzma.compress(bytes(raw)))
    with pytest.raises(ValueError, match=f"checkpoint {packed} is damaged"):
        restore_snapshot(point.path, tmp_path / "restored")
    assert not (tmp_path / "restored").exists()
    packed.write_bytes(b"not xz")
    with pytest.raises(ValueError, match="cannot be read"):
        restore_snapshot(point.path, tmp_path / "restored")


def test_the_claims_queue_deadline_crosses_midnight_and_refuses_bad_times():
    import importlib.util
    from datetime import datetime
    from pathlib import Path
    spec = importlib.util.spec_from_file_location("claims_queue", Path(__file__).parents[1] / "benchmarks" / "claims_queue.py")
    queue = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(queue)
    now = datetime(2026, 12, 3, 23, 0)
    assert queue.deadline("23:30", now) == datetime(2026, 12, 3, 23, 30)
    assert queue.deadline("0:30", now) == datetime(2026, 12, 4, 0, 30)  # after midnight: tomorrow's
    for bad in ("25:00", "2500", "ten"):
        with pytest.raises(SystemExit, match=f"--online-until '{bad}' is not a time HH:MM"):
            queue.deadline(bad, now)


def test_the_claims_queue_refuses_a_plan_task_it_does_not_know_naming_the_runs_to_train():
    import importlib.util
    from pathlib import Path

    from acalib.plan import Plan, PlannedRun
    spec = importlib.util.spec_from_file_location("claims_queue", Path(__file__).parents[1] / "benchmarks" / "claims_queue.py")
    queue = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(queue)
    plan = Plan("claims")
    todo = plan.add(PlannedRun("hopper-medium/aca_delayed_pi-a97b99ecc3", "online", {}))
    plan.add(PlannedRun("hopper-medium/sac_ml-3fdacfcd1a", "offline", {}, finished="repository"))
    assert queue.planned("hopper-medium/aca_delayed_pi-a97b99ecc3", plan) is todo
    with pytest.raises(SystemExit, match=r"no run 'hopper-medium/aca-nope'; runs still to train: "
                                         r"hopper-medium/aca_delayed_pi-a97b99ecc3$"):
        queue.planned("hopper-medium/aca-nope", plan)
