"""RunSpec: a run as plain data (JSON round trip, the same key), and execute() trains what it describes."""
import json

import pytest

from acalib.runs import RunDir
from acalib.spec import RunSpec, execute
from acalib.study import Study

LOOP = {"eval_interval": 20, "eval_episodes": 1, "checkpoint_interval": 20}


def offline_spec(**changes):
    values = dict(stage="offline", algo="sac_ml", dataset="hopper-random", profile="tiny", steps=40, loop=LOOP,
                  seeds=[0], hyperparameters={"hidden": [32, 32], "batch_size": 32}, size=3000,
                  overrides={"hidden": [32, 32], "batch_size": 32}, data={"source": "minari:acalib/hopper/random-v0"})
    return RunSpec(**{**values, **changes})


def test_json_round_trip_keeps_the_run_and_its_key():
    spec = offline_spec()
    back = RunSpec.from_json(spec.to_json())
    assert back == spec and back.key() == spec.key() and back.name == spec.name
    json.loads(spec.to_json())  # plain JSON: no tensors, no objects
    assert spec.name.startswith("hopper-random/sac_ml-")


def test_the_key_moves_with_what_makes_the_run_and_not_with_the_rest():
    spec = offline_spec()
    assert offline_spec(steps=41).key() != spec.key()
    assert offline_spec(seeds=[1]).key() != spec.key()
    assert offline_spec(hyperparameters={"hidden": [64, 64], "batch_size": 32}).key() != spec.key()
    assert offline_spec(overrides={}).key() == spec.key()  # only the resolved hyperparameters count
    online = RunSpec("online", "aca", "hopper-random", "tiny", 50, LOOP, [0], {"beta": 7.0}, init=f"x/{spec.name}")
    assert online.key() == RunSpec("online", "aca", "hopper-random", "tiny", 50, LOOP, [0], {"beta": 7.0},
                                   init=f"elsewhere/{spec.name.split('/')[1]}").key()  # the init run's name counts


def test_bad_specs_name_what_is_wrong():
    with pytest.raises(ValueError, match=r"unknown stage 'train'; valid: \['offline', 'online', 'actor_only'\]"):
        offline_spec(stage="train")
    with pytest.raises(ValueError, match="actor-only run needs the run it starts from"):
        RunSpec("actor_only", "sac_ml", "hopper-random", "tiny", 10, LOOP)
    text = json.dumps({**json.loads(offline_spec().to_json()), "optimizer": "sgd"})
    with pytest.raises(ValueError, match=r"unknown fields \['optimizer'\]"):
        RunSpec.from_json(text)


def test_a_study_finds_the_run_that_execute_trained_from_its_spec(minari_root, tmp_path):
    small = {"hidden": [32, 32], "batch_size": 32}
    study = Study("tiny", root=tmp_path, runs_root=tmp_path / "runs", progress=False, compile=False)
    spec = study.offline_spec("sac_ml", "hopper-random", steps=40, **small)
    again = RunSpec.from_json(spec.to_json())  # as a worker receives it
    out = tmp_path / "runs" / "tiny" / again.name
    run = execute(again, out, progress=False)
    assert run.done and RunDir(out).summary()["step"] == 40
    loader = Study("tiny", root=tmp_path, runs_root=tmp_path / "runs", train=False)  # trains nothing
    assert loader.offline("sac_ml", "hopper-random", steps=40, **small).path == out
    online = study.online_spec("aca", RunDir(out), steps=30)
    assert online.init == spec.name and online.key_parts()["init"] == out.name
    # the run records the spec it was executed from, and a worker could execute it again from there
    assert RunSpec(**run.spec()) == again and RunSpec(**run.spec()).name == f"hopper-random/{out.name}"
    # a record beside the run, not part of what must match to resume (runs made before it still resume)
    assert RunDir(out).prepare({k: v for k, v in run.config().items() if k != "spec"}) is True
