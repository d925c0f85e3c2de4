"""The behaviour-policy zoo and the five levels, on a tiny SAC run (seconds, not a real zoo)."""
import json

import numpy as np
import pandas as pd
import pytest

from acalib.data import datasets as D
from acalib.data import minari_io
from acalib.data import zoo
from acalib.data.zoo import (choose_medium, converged, export_zoo, first_converged_step, level_policies,
                             zoo_metadata)
from acalib.experiment import run_online


@pytest.fixture(scope="module")
def tiny_zoo(tmp_path_factory):
    root = tmp_path_factory.mktemp("zoo")
    mp = pytest.MonkeyPatch()
    mp.setenv("ACALIB_ZOO_DIR", str(root / "zoo"))
    mp.setenv("MINARI_DATASETS_PATH", str(root / "minari"))
    run = run_online("sac", 300, root / "run", env="hopper", seeds=[0],
                     overrides={"hidden": [32, 32], "batch_size": 32},
                     settings={"eval_interval": 100, "eval_episodes": 2, "checkpoint_interval": 100,
                               "policy_snapshots": True, "progress": False})
    export_zoo(run.path, "hopper")
    yield root
    mp.undo()


def test_choose_medium_rule():
    returns = pd.Series([10.0, 300.0, 900.0, 2000.0, 3000.0], index=[0, 10_000, 20_000, 30_000, 40_000])
    assert choose_medium(returns, 3000.0) == 30_000  # first return >= 3000 / 3 (900 is not)
    assert choose_medium(pd.Series([10.0, 1000.0, 3000.0], index=[0, 10, 20]), 3000.0) == 10
    with pytest.raises(ValueError, match="no checkpoint reaches"):
        choose_medium(pd.Series([1.0]), 3000.0)


def test_export_zoo_metadata(tiny_zoo):
    meta = zoo_metadata("hopper")
    metrics = pd.read_csv(tiny_zoo / "run" / "metrics.csv")
    assert meta["expert_step"] == 300 and meta["trained_steps"] == 300 and meta["seed"] == 0
    assert [c["step"] for c in meta["checkpoints"]] == metrics["step"].tolist()
    returns = metrics.set_index("step")["return"]
    assert meta["medium_step"] == choose_medium(returns.loc[[100, 200, 300]], returns.loc[300])
    assert 0 in meta["kept"] and 300 in meta["kept"]
    for step in meta["kept"]:
        assert (tiny_zoo / "zoo" / "hopper" / "policies" / f"step_{step:07d}.pt").is_file()


def test_levels_from_the_zoo(tiny_zoo):
    meta = zoo_metadata("hopper")
    medium = D.load_dataset("hopper-medium", size=500)
    expert = D.load_dataset("hopper-expert", size=400)
    both = D.load_dataset("hopper-medium-expert", size=900)
    assert len(medium.transitions) == 500 and len(expert.transitions) == 400
    # medium-expert is medium and expert concatenated (same seeds, same sizes -> same transitions)
    np.testing.assert_array_equal(both.transitions.observations[:450],
                                  D.load_dataset("hopper-medium", size=450).transitions.observations)
    np.testing.assert_array_equal(both.transitions.observations[450:],
                                  D.load_dataset("hopper-expert", size=450).transitions.observations)
    replay = D.load_dataset("hopper-medium-replay")  # default size: the medium step
    assert len(replay.transitions) == meta["medium_step"]
    assert [s for s, _ in level_policies("hopper", "medium-replay")] == \
        [s for s in meta["kept"] if s < meta["medium_step"]]
    for ds in (medium, expert, both, replay):
        t = ds.transitions
        # every time-limit cut is a timeout, never a terminal; episodes end at 1000 steps at most
        assert not (t.terminals & t.timeouts).any()
        assert max(e - s for s, e in t.episode_bounds()) <= 1000
        ref = json.loads((tiny_zoo / "zoo" / "hopper" / "reference_scores.json").read_text())
        assert (ds.ref_min, ds.ref_max) == (ref["ref_min_score"], ref["ref_max_score"])
        assert "acalib zoo" in ref["source"]


def test_building_is_idempotent(tiny_zoo):
    first = D.build_dataset("hopper", "medium", size=500)
    path = minari_io.dataset_path(first) / "data" / "metadata.json"
    before = path.stat().st_mtime_ns
    assert D.build_dataset("hopper", "medium", size=500) == first
    assert path.stat().st_mtime_ns == before


def test_missing_zoo_is_explained(tmp_path, monkeypatch):
    monkeypatch.setenv("ACALIB_ZOO_DIR", str(tmp_path / "empty"))
    monkeypatch.setenv("MINARI_DATASETS_PATH", str(tmp_path / "minari"))
    with pytest.raises(FileNotFoundError, match="no behaviour-policy zoo for .walker2d.*acalib zoo train"):
        D.load_dataset("walker2d-expert", size=100)


def test_stopping_rule():
    steps = list(range(0, 600_001, 10_000))
    swinging = pd.Series([3000.0 + (600 if i % 2 else -600) for i in range(len(steps))], index=steps)
    assert first_converged_step(swinging) is None  # every window strays 20 % from its mean
    plateau = pd.Series(np.linspace(0, 3000, len(steps)), index=steps)
    plateau.loc[450_000:] = [3000, 3100, 2900, 3050, 2950, 1000, 3000, 3000, 3000, 3000, 3000, 3000, 3000, 3000,
                             3000, 3000]
    # 450k-490k are stable but below 500k; 500k sees the collapse to 1000 in its window, so the
    # first stable stretch of five that ends at or after 500k ends at 550k
    assert first_converged_step(plateau) == 550_000
    assert not converged(plateau.loc[:540_000]) and converged(plateau.loc[:550_000])
    # 450k-490k are stable, but the best return then (3,100) is 59 % above the best 100k earlier (1,950)
    assert first_converged_step(plateau, min_steps=450_000) == 550_000
    assert first_converged_step(plateau, min_steps=450_000, rise=0.60) == 490_000


def test_stopping_rule_waits_while_the_return_still_rises():
    """A slow, steady rise (+1 % per 10k steps) stays within the 10 % band of every 5-evaluation
    window, so only the "best return no longer rising" clause keeps training going."""
    steps = list(range(0, 1_000_001, 10_000))
    rising = pd.Series([3000.0 * 1.01 ** min(i, 80) for i in range(len(steps))], index=steps)
    last = rising.loc[:500_000].iloc[-5:]
    assert (last - last.mean()).abs().max() <= 0.10 * last.mean()  # the band alone would stop at 500k
    assert not converged(rising.loc[:500_000])
    # the rise ends at 800k (3000 * 1.01**80 = 6,650); at 860k the best up to 760k is 3000 * 1.01**76
    # = 6,388, 4.1 % below it; at 850k the best up to 750k is 5.1 % below
    assert first_converged_step(rising) == 860_000
    assert not converged(rising.loc[:850_000])


def test_export_takes_the_first_converged_checkpoint_as_expert(tiny_zoo, tmp_path, monkeypatch):
    monkeypatch.setattr(zoo, "first_converged_step", lambda returns: 200)  # training went on past it
    meta = json.loads((export_zoo(tiny_zoo / "run", "hopper", tmp_path) / "metadata.json").read_text())
    assert meta["expert_step"] == 200 and 300 not in meta["kept"] and meta["trained_steps"] == 300


def test_an_expert_only_zoo_keeps_the_expert_and_step_0(tiny_zoo, tmp_path, monkeypatch):
    """AntMaze's behaviour zoo (antdir) replays no medium policies: only step 0 and the expert are copied;
    a locomotion zoo keeps every snapshot up to its medium step."""
    monkeypatch.setattr(zoo, "choose_medium", lambda returns, expert_return: 200)
    kept = {env: json.loads((export_zoo(tiny_zoo / "run", env, tmp_path / env) / "metadata.json")
                            .read_text())["kept"] for env in ("hopper", "antdir")}
    assert kept == {"hopper": [0, 100, 200, 300], "antdir": [0, 300]}
    assert sorted(p.name for p in (tmp_path / "antdir" / "antdir" / "policies").iterdir()) == [
        "step_0000000.pt", "step_0000300.pt"]


def test_zoo_training_stops_when_the_rule_holds(tmp_path):
    """``acalib zoo train`` asks its stopping rule at each checkpoint; here: stop at the second one."""
    asked = []

    def rule(run):
        asked.append(len(pd.read_csv(run.metrics_path)))
        return len(asked) == 2

    run = run_online("sac", 500, tmp_path / "run", env="hopper", seeds=[0], stop_when=rule,
                     overrides={"hidden": [32, 32], "batch_size": 32},
                     settings={"eval_interval": 100, "eval_episodes": 1, "checkpoint_interval": 100,
                               "policy_snapshots": True, "progress": False})
    assert asked == [2, 3]  # rows at steps 0, 100 | 0, 100, 200
    assert pd.read_csv(run.metrics_path)["step"].max() == 200 and run.done
    assert sorted(p.name for p in (run.path / "policies").glob("*.pt"))[-1] == "step_0000200.pt"
    assert run_online("sac", 500, tmp_path / "run", env="hopper", seeds=[0], stop_when=rule,  # done: no more steps
                      overrides={"hidden": [32, 32], "batch_size": 32},
                      settings={"eval_interval": 100, "eval_episodes": 1, "checkpoint_interval": 100,
                                "policy_snapshots": True, "progress": False}).done
    assert len(asked) == 2
    (run.path / "done").unlink()  # killed after the checkpoint at which the rule held, before it was marked done
    resumed = run_online("sac", 500, tmp_path / "run", env="hopper", seeds=[0], stop_when=lambda run: True,
                         overrides={"hidden": [32, 32], "batch_size": 32},
                         settings={"eval_interval": 100, "eval_episodes": 1, "checkpoint_interval": 100,
                                   "policy_snapshots": True, "progress": False})
    assert resumed.done and pd.read_csv(resumed.metrics_path)["step"].max() == 200


def test_a_level_built_before_the_zoo_is_rebuilt_with_the_zoo_scores(tiny_zoo, tmp_path, monkeypatch):
    zoo_dir = str(tiny_zoo / "zoo")
    monkeypatch.setenv("ACALIB_ZOO_DIR", str(tmp_path / "no-zoo"))
    early = D.load_dataset("hopper-random", size=300)
    assert (early.ref_min, early.ref_max) == D.D4RL_REF_SCORES["hopper"]
    monkeypatch.setenv("ACALIB_ZOO_DIR", zoo_dir)  # the zoo arrives
    now = D.load_dataset("hopper-random", size=300)
    ref = json.loads((tiny_zoo / "zoo" / "hopper" / "reference_scores.json").read_text())
    assert (now.ref_min, now.ref_max) == (ref["ref_min_score"], ref["ref_max_score"])
    np.testing.assert_array_equal(now.transitions.observations, early.transitions.observations)  # same seed
    assert not any(p.name.startswith(".removing-") for p in minari_io.datasets_root().iterdir())


def test_a_level_built_from_an_earlier_export_of_the_zoo_is_rebuilt(tiny_zoo, monkeypatch):
    before = D.load_dataset("hopper-random", size=400)
    scores = tiny_zoo / "zoo" / "hopper" / "reference_scores.json"
    original = scores.read_text()
    try:  # the zoo exported again with another expert: other reference scores
        ref = json.loads(original)
        scores.write_text(json.dumps({**ref, "ref_max_score": ref["ref_max_score"] + 100.0}))
        assert D.outdated(D.generated_id("hopper", "random", 400), "hopper")
        after = D.load_dataset("hopper-random", size=400)
        assert after.ref_max == before.ref_max + 100.0
        assert not D.outdated(D.generated_id("hopper", "random", 400), "hopper")
    finally:
        scores.write_text(original)


def test_a_zoo_run_resumes_on_another_machine_from_a_resume_point_without_its_buffer(tmp_path, monkeypatch):
    """``acalib zoo snapshot`` drops the replay buffer; the restored run refills an empty buffer for
    ``REFILL_STEPS`` before it updates again, and records where (``buffer_restarts``)."""
    from acalib.algos.sac import SAC
    from acalib.checkpoint import load_checkpoint
    from acalib.runs import snapshot_run
    from acalib.train import loop
    from test_runs import kill_at

    monkeypatch.setattr(loop, "REFILL_STEPS", 100)  # one evaluation interval without any update
    monkeypatch.setattr(zoo, "SNAPSHOT_POLICY_EVERY", 200)
    monkeypatch.setenv("ACALIB_ZOO_RESUME_DIR", str(tmp_path / "resume"))
    args = dict(env="hopper", seeds=[0], overrides={"hidden": [32, 32], "batch_size": 32},
                settings={"eval_interval": 100, "eval_episodes": 1, "checkpoint_interval": 100,
                          "policy_snapshots": True, "progress": False})
    restore = kill_at(monkeypatch, SAC, step=200)  # updates start once the buffer holds 33: at step 232
    with pytest.raises(KeyboardInterrupt):
        run_online("sac", 400, tmp_path / "a" / "run", **args)
    restore()
    with pytest.raises(ValueError, match="holds a replay buffer"):  # a claims snapshot still refuses it
        snapshot_run(zoo.RunDir(tmp_path / "a" / "run"), tmp_path / "s")
    point = zoo.snapshot_zoo_run(tmp_path / "a" / "run")
    assert point == tmp_path / "resume" / "run"
    assert sorted(str(p.relative_to(point)) for p in point.rglob("*") if p.is_file()) == [
        "checkpoints/last.pt.xz", "config.json", "metrics.csv", "policies/step_0000200.pt"]
    state = load_checkpoint(point / "checkpoints" / "last.pt.xz")
    assert "buffer" not in state and state["loop"]["step"] == 200 and state["agent"]["step"] == 168

    machine2 = tmp_path / "b" / "run"
    assert zoo.restore_zoo_resume_point(machine2) and not zoo.restore_zoo_resume_point(machine2)
    run = run_online("sac", 400, machine2, **args)
    metrics = pd.read_csv(run.metrics_path).set_index("step")["updates"]
    assert metrics.to_dict() == {0: 0, 100: 68, 200: 168, 300: 168, 400: 268}  # none in steps 201-300
    assert run.summary()["buffer_restarts"] == [200] and run.summary()["updates"] == 268
    zoo.remove_zoo_resume_point(machine2)
    assert not point.exists()
    with pytest.raises(ValueError, match="has finished: export it"):
        zoo.snapshot_zoo_run(machine2)
