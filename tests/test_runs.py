"""End-to-end runs on a small generated Hopper-v5 random dataset: CLI, resume, errors."""
import json
import os

import pandas as pd
import pytest
import torch

from acalib import cli
from acalib.algos.sac_ml import SACML
from acalib.experiment import run_offline, run_online
from acalib.runs import RunDir
from acalib.checkpoint import load_checkpoint, save_checkpoint
from acalib.train.loop import PHASES, NonFiniteLossError, StatsAccumulator

SMALL = {"hidden": [32, 32], "batch_size": 32}
FAST = {"eval_interval": 50, "eval_episodes": 1, "checkpoint_interval": 50, "progress": False}


def kill_at(monkeypatch, cls, step: int | None = None):
    """Make ``cls.update`` raise KeyboardInterrupt at ``step`` (None: at once), as if the process died there."""
    real_update = cls.update

    def killed(self, batch):
        if step is None or self.step == step:
            raise KeyboardInterrupt
        return real_update(self, batch)

    monkeypatch.setattr(cls, "update", killed)
    return lambda: monkeypatch.setattr(cls, "update", real_update)


def offline(out, steps=100, seeds=(0, 1)):
    return run_offline("sac_ml", "hopper-random", list(seeds), steps, out, overrides=SMALL, settings=FAST,
                       size=3000)


def test_offline_then_aca_online(minari_root, tmp_path):
    off = offline(tmp_path / "off")
    assert off.done and off.final_checkpoint.is_file()
    m = pd.read_csv(off.metrics_path)
    assert list(m["step"]) == [50, 50, 100, 100] and set(m["seed"]) == {0, 1}
    for col in ("return", "normalized_score", "critic_loss", "actor_loss", "z_loss", "alpha", "q_mean", "lambda"):
        assert m[col].notna().all(), col
    assert (m["eval_s"] > 0).all() and (m["eval_s"] <= m["time_s"]).all()  # evaluation's share of the wall time
    cfg = json.loads((tmp_path / "off" / "config.json").read_text())
    assert cfg["dataset"]["source"] == "minari:acalib/hopper/random-3000-v0" and cfg["hyperparameters"]["w"] == 30.0

    on = run_online("aca", 120, tmp_path / "on", init=tmp_path / "off", settings=FAST, overrides={"batch_size": 32})
    m = pd.read_csv(on.metrics_path)
    assert list(m["step"]) == [0, 0, 50, 50, 100, 100, 120, 120]
    cfg = json.loads((tmp_path / "on" / "config.json").read_text())
    assert cfg["hyperparameters"]["beta"] == 7.0 and cfg["hyperparameters"]["k_horizon"] == 10  # random group
    assert cfg["buffer_prefill"] == 0
    last = m[m.step == 120]
    assert last["k"].notna().all() and (last["updates"] == 120 - 32).all()  # updates start at buffer > batch


def test_sac_to_sac_prefills_every_offline_transition(minari_root, tmp_path):
    offline(tmp_path / "off", steps=50)
    on = run_online("sac", 40, tmp_path / "on", init=tmp_path / "off", settings={**FAST, "eval_interval": 40})
    cfg = json.loads((on.path / "config.json").read_text())
    assert cfg["buffer_prefill"] == 3000 and cfg["init_algo"] == "sac_ml"


def test_offline_resume_after_kill_reproduces_the_uninterrupted_run(minari_root, tmp_path, monkeypatch):
    offline(tmp_path / "whole", steps=150)
    restore = kill_at(monkeypatch, SACML, 120)  # between checkpoints
    with pytest.raises(KeyboardInterrupt):
        offline(tmp_path / "killed", steps=150)
    assert load_checkpoint(tmp_path / "killed/checkpoints/last.pt")["agent"]["step"] == 100
    restore()
    offline(tmp_path / "killed", steps=150)
    a = load_checkpoint(tmp_path / "whole/checkpoints/final.pt")["agent"]["weights"]
    b = load_checkpoint(tmp_path / "killed/checkpoints/final.pt")["agent"]["weights"]
    for k in a:
        assert torch.equal(a[k], b[k]), k
    ma = pd.read_csv(tmp_path / "whole/metrics.csv").drop(columns=["time_s", "eval_s"])
    mb = pd.read_csv(tmp_path / "killed/metrics.csv").drop(columns=["time_s", "eval_s"])
    pd.testing.assert_frame_equal(ma, mb)
    for run in ("whole", "killed"):  # the resumed run's phases cover both of its processes
        summary = RunDir(tmp_path / run).summary()
        phases = summary["phase_s"]
        assert sorted(phases) == sorted([*PHASES, "other"]) and summary["phases_timed_from_step"] == 0
        assert all(phases[p] > 0 for p in ("update", "sample", "evaluation", "checkpoint", "logging"))
        assert phases["env"] == 0.0  # offline: no environment steps outside evaluation
        assert sum(phases.values()) == pytest.approx(summary["time_s"], abs=0.01)


def test_phase_times_of_a_run_resumed_from_a_checkpoint_without_them(minari_root, tmp_path, monkeypatch):
    restore = kill_at(monkeypatch, SACML, 120)
    with pytest.raises(KeyboardInterrupt):
        offline(tmp_path / "run", steps=150)
    path = tmp_path / "run/checkpoints/last.pt"
    state = load_checkpoint(path)
    for key in ("phase_s", "timed_from"):  # as written before acalib timed phases
        del state["loop"][key]
    save_checkpoint(path, state)
    restore()
    offline(tmp_path / "run", steps=150)
    summary = RunDir(tmp_path / "run").summary()
    assert summary["phases_timed_from_step"] == 100
    assert sum(summary["phase_s"].values()) < summary["time_s"]  # the first 100 steps are not in the phases


def test_online_resume_continues(minari_root, tmp_path, monkeypatch):
    offline(tmp_path / "off", steps=50)
    from acalib.algos.aca import ACA
    restore = kill_at(monkeypatch, ACA, 60)
    with pytest.raises(KeyboardInterrupt):
        run_online("aca", 150, tmp_path / "on", init=tmp_path / "off", settings=FAST, overrides={"batch_size": 32})
    restore()
    run_online("aca", 150, tmp_path / "on", init=tmp_path / "off", settings=FAST, overrides={"batch_size": 32})
    m = pd.read_csv(tmp_path / "on/metrics.csv")
    assert list(m["step"]) == [0, 0, 50, 50, 100, 100, 150, 150]
    assert m[m.step == 150]["updates"].tolist() == [150 - 32] * 2
    assert m["eval_s"].is_monotonic_increasing  # carried over the kill by the checkpoint


def test_non_finite_loss_stops_and_keeps_last_good_checkpoint(minari_root, tmp_path, monkeypatch):
    real_update = SACML.update

    def poisoned(self, batch):
        stats = real_update(self, batch)
        if self.step >= 70:
            stats["critic_loss"] = stats["critic_loss"] * float("nan")
        return stats

    monkeypatch.setattr(SACML, "update", poisoned)
    with pytest.raises(NonFiniteLossError, match="critic_loss at step 70"):
        offline(tmp_path / "nan", steps=150)
    state = load_checkpoint(tmp_path / "nan/checkpoints/last.pt")
    assert state["agent"]["step"] == 50


def test_changed_config_in_same_directory_is_refused(minari_root, tmp_path):
    offline(tmp_path / "a", steps=50)
    with pytest.raises(ValueError, match=r"different run \(differs in \['steps'\]\)"):
        offline(tmp_path / "a", steps=60)


def test_run_killed_before_its_first_checkpoint_starts_clean(minari_root, tmp_path, monkeypatch):
    restore = kill_at(monkeypatch, SACML, 40)  # after the first evaluation (step 25), before any checkpoint
    settings = {**FAST, "eval_interval": 25, "checkpoint_interval": 100}
    with pytest.raises(KeyboardInterrupt):
        run_offline("sac_ml", "hopper-random", [0], 50, tmp_path / "k", overrides=SMALL, settings=settings, size=3000)
    restore()
    run_offline("sac_ml", "hopper-random", [0], 50, tmp_path / "k", overrides=SMALL, settings=settings, size=3000)
    assert pd.read_csv(tmp_path / "k/metrics.csv")["step"].tolist() == [25, 50]


def test_final_checkpoint_is_restored_if_lost(minari_root, tmp_path):
    run = offline(tmp_path / "f", steps=50)
    run.final_checkpoint.unlink()  # as if killed between writing the two files
    (run.path / "done").unlink()
    offline(tmp_path / "f", steps=50)
    assert run.final_checkpoint.is_file() and run.done


def test_cli_end_to_end_and_errors(minari_root, tmp_path, capsys):
    assert cli.main(["offline", "--algo", "sac_ml", "--dataset", "hopper-random", "--size", "3000", "--seeds", "0", "--steps", "30",
                     "--eval-interval", "30", "--eval-episodes", "1", "--out", str(tmp_path / "o"),
                     "--set", "hidden=[16,16]", "--set", "batch_size=16", "--no-progress"]) == 0
    assert (tmp_path / "o" / "done").exists()

    with pytest.raises(SystemExit):
        cli.main(["offline", "--algo", "nope", "--dataset", "hopper-random", "--steps", "1", "--out", "x"])
    err = capsys.readouterr().err.replace("'", "")
    assert "invalid choice: nope (choose from awac, cql, cql_ensemble, sac_ml, sac_ml_ensemble, td3_bc)" in err

    assert cli.main(["offline", "--algo", "sac_ml", "--dataset", "hopper-bogus", "--steps", "1",
                     "--out", str(tmp_path / "x")]) == 2
    assert "unknown level 'bogus'" in capsys.readouterr().err

    assert cli.main(["offline", "--algo", "sac_ml", "--dataset", "cartpole-random", "--steps", "1",
                     "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert "unknown environment 'cartpole'" in err and "hopper" in err

    assert cli.main(["online", "--algo", "aca", "--steps", "1", "--out", str(tmp_path / "y")]) == 2
    assert "--init" in capsys.readouterr().err

    assert cli.main(["online", "--algo", "aca", "--init", str(tmp_path / "nothing"), "--steps", "1",
                     "--out", str(tmp_path / "y")]) == 2
    assert "not an acalib run directory" in capsys.readouterr().err

    assert cli.main(["offline", "--algo", "sac_ml", "--dataset", "hopper-random", "--steps", "1",
                     "--set", "wobble=3", "--out", str(tmp_path / "z")]) == 2
    assert "unknown SACMLConfig fields ['wobble']" in capsys.readouterr().err

    assert cli.main(["offline", "--algo", "sac_ml", "--dataset", "hopper-random", "--seeds", "3-1", "--steps", "1",
                     "--out", str(tmp_path / "z")]) == 2
    assert "bad seeds '3-1'" in capsys.readouterr().err


def test_online_from_an_unfinished_offline_run_says_what_to_do(minari_root, tmp_path, monkeypatch):
    kill_at(monkeypatch, SACML)
    with pytest.raises(KeyboardInterrupt):
        offline(tmp_path / "off", steps=50)
    with pytest.raises(FileNotFoundError, match="has not finished.*acalib offline"):
        run_online("aca", 10, tmp_path / "on", init=tmp_path / "off")


@pytest.mark.parametrize("algo,keys", [("cql", ["cql_gap", "alpha_prime", "conservative_loss"]),
                                       ("awac", ["advantage", "weight_max"]),
                                       ("td3_bc", ["lambda", "actor_loss"])])
def test_every_offline_algorithm_runs_end_to_end(minari_root, tmp_path, algo, keys):
    overrides = {**SMALL, **({"n_action_samples": 2} if algo == "cql" else {})}
    run = run_offline(algo, "hopper-random", [0, 1], 40, tmp_path / algo, overrides=overrides,
                      settings={**FAST, "eval_interval": 20, "checkpoint_interval": 40}, size=3000)
    m = pd.read_csv(run.metrics_path)
    assert list(m["step"]) == [20, 20, 40, 40]
    for key in ["return", "critic_loss", *keys]:
        assert m[key].notna().all(), key


def test_a_config_field_added_later_with_its_default_still_resumes(minari_root, tmp_path):
    run = offline(tmp_path / "old", steps=50)
    cfg = json.loads(run.config_path.read_text())
    del cfg["hyperparameters"]["log_std_bounds"]  # as written before that field existed
    run.config_path.write_text(json.dumps(cfg))
    (run.path / "done").unlink()
    offline(tmp_path / "old", steps=50)  # accepted as the same run
    assert run.done


def test_cql_to_aca_end_to_end(minari_root, tmp_path):
    run_offline("cql", "hopper-random", [0], 30, tmp_path / "cql", overrides={**SMALL, "n_action_samples": 2,
                                                                             "fit_baseline": True},
                settings={**FAST, "eval_interval": 30, "checkpoint_interval": 30}, size=3000)
    on = run_online("aca", 60, tmp_path / "aca", init=tmp_path / "cql", overrides={"batch_size": 32},
                    settings={**FAST, "eval_interval": 60, "checkpoint_interval": 60})
    cfg = json.loads(on.config_path.read_text())
    assert cfg["init_algo"] == "cql" and cfg["hyperparameters"]["hidden"] == [32, 32]
    assert pd.read_csv(on.metrics_path)["step"].tolist() == [0, 60]


def test_statistics_accumulate_over_the_steps_that_report_them():
    """SAC's burn-in reports no actor loss: each key is averaged over the steps that have it."""
    acc = StatsAccumulator()
    acc.add(1, {"critic_loss": torch.tensor([1.0, 2.0])})
    acc.add(2, {"critic_loss": torch.tensor([3.0, 4.0]), "actor_loss": torch.tensor([10.0, 20.0])})
    acc.add(3, {"critic_loss": torch.tensor([5.0, 6.0]), "actor_loss": torch.tensor([30.0, 40.0])})
    means = acc.means()
    assert means["critic_loss"].tolist() == [3.0, 4.0] and means["actor_loss"].tolist() == [20.0, 30.0]
    assert acc.means() == {}  # reset
    acc.add(4, {"critic_loss": torch.tensor([1.0, 1.0])})
    acc.add(5, {"critic_loss": torch.tensor([1.0, 1.0]), "actor_loss": torch.tensor([float("inf"), 0.0])})
    acc.add(6, {"critic_loss": torch.tensor([float("nan"), 1.0])})
    with pytest.raises(NonFiniteLossError, match="actor_loss at step 5"):
        acc.check_finite()


def test_cli_online_finds_its_init_run_wherever_out_is(minari_root, tmp_path):
    offline(tmp_path / "offline" / "off", steps=50, seeds=(0,))
    out = tmp_path / "elsewhere" / "deeper" / "on"
    assert cli.main(["online", "--algo", "aca", "--init", str(tmp_path / "offline" / "off"), "--steps", "30",
                     "--eval-interval", "30", "--eval-episodes", "1", "--no-progress", "--out", str(out)]) == 0
    config = RunDir(out).config()
    assert config["init"] == str(tmp_path / "offline" / "off") and RunDir(out).summary()["step"] == 30


def test_atomic_dir_replaces_a_folder_only_when_its_block_completes(tmp_path):
    from acalib.runs import atomic_dir

    dest = tmp_path / "run"
    dest.mkdir()
    (dest / "old.txt").write_text("old")
    with pytest.raises(RuntimeError, match="interrupted"):
        with atomic_dir(dest) as tmp:
            (tmp / "new.txt").write_text("new")
            raise RuntimeError("interrupted")
    assert [p.name for p in tmp_path.iterdir()] == ["run"]  # no temporary folder left behind
    assert [p.name for p in dest.iterdir()] == ["old.txt"]
    with atomic_dir(dest) as tmp:
        (tmp / "new.txt").write_text("new")
    assert [p.name for p in tmp_path.iterdir()] == ["run"]
    assert [p.name for p in dest.iterdir()] == ["new.txt"]
    umask = os.umask(0)
    os.umask(umask)
    assert dest.stat().st_mode & 0o777 == 0o777 & ~umask  # as mkdir() makes a folder, not mkdtemp's 0700


def test_an_xz_csv_round_trips_and_a_corrupted_one_is_an_error(tmp_path):
    """``write_csv_atomic`` to a ``.csv.xz`` path (the committed Q probes): pandas reads it back to the digits of
    the float format; a flipped byte fails xz's check instead of giving wrong numbers."""
    import lzma

    from acalib.runs import write_csv_atomic

    frame = pd.DataFrame({"q": ["offline Q", "aligned Q"], "y": [0.123456789012, -3.14159265358979]})
    path = tmp_path / "probe.csv.xz"
    write_csv_atomic(frame, path, float_format="%.7g")
    assert lzma.decompress(path.read_bytes()).decode() == "q,y\noffline Q,0.1234568\naligned Q,-3.141593\n"
    pd.testing.assert_frame_equal(pd.read_csv(path), frame, rtol=1e-6)
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    path.write_bytes(bytes(raw))
    with pytest.raises(lzma.LZMAError):
        pd.read_csv(path)
    assert [p.name for p in tmp_path.iterdir()] == ["probe.csv.xz"]  # no temporary file left behind
