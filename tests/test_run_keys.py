"""Run keys of the runs training for (or committed to) the repository must not change: a changed key would
silently retrain a run that took hours (the claims profile's SAC+ML runs take 3-4 h each on this CPU).
A test fails here when a change to a run's description moves its key; migrate the runs in the same commit."""
import shutil
from pathlib import Path

import pytest

from acalib.runs import RunDir
from acalib.study import MissingRunError, Study

CLAIMS_OFFLINE = {("sac_ml", "hopper-random"): "sac_ml-425098b883", ("sac_ml", "hopper-medium"): "sac_ml-3fdacfcd1a",
                  ("sac_ml", "hopper-medium-replay"): "sac_ml-f6c1c6fbc2", ("cql", "hopper-medium"): "cql-3632167210",
                  ("awac", "hopper-medium"): "awac-ef321380a4",
                  # moved (from td3_bc-c3fe1a1548) when TD3+BC's config stopped carrying SAC's temperature, log-std
                  # and burn-in fields; no claims TD3+BC run had been trained
                  ("td3_bc", "hopper-medium"): "td3_bc-c36b165abb"}
# from the hopper-medium SAC+ML run (its config: tests/data/claims-hopper-medium-sac_ml-config.json)
CLAIMS_ONLINE = {"aca": "aca-7c94e0fc56", "sac": "sac-8781714afc", "aca_bc_only": "aca_bc_only-9c1a2b3c86",
                 "aca_r_init_q": "aca_r_init_q-efb274c408"}
CLAIMS_ACTOR_ONLY = {("offline", "hopper-random"): "actor_only_offline-9946d248f7",
                     ("offline", "hopper-medium-replay"): "actor_only_offline-5416f46626",
                     ("offline", "hopper-expert"): "actor_only_offline-7a146dc2d3",
                     ("aligned", "hopper-random"): "actor_only_aligned-7ce04ea335",
                     ("aligned", "hopper-medium-replay"): "actor_only_aligned-45944ccf0c",
                     ("aligned", "hopper-expert"): "actor_only_aligned-f8f8895c22"}


@pytest.fixture
def claims(tmp_path, monkeypatch):
    """A claims Study that only loads, with the datasets not built here (described, not built)."""
    monkeypatch.setenv("MINARI_DATASETS_PATH", str(tmp_path / "minari"))
    yield Study("claims", root=tmp_path, runs_root=tmp_path / "runs", train=False)
    assert not (tmp_path / "minari").exists()  # nothing was built to find a key


@pytest.fixture
def medium_sac_ml(claims, tmp_path):
    """The hopper-medium SAC+ML run as a finished run directory holding its real config."""
    path = tmp_path / "runs/claims/hopper-medium/sac_ml-3fdacfcd1a"
    path.mkdir(parents=True)
    shutil.copy(Path(__file__).parent / "data/claims-hopper-medium-sac_ml-config.json", path / "config.json")
    (path / "done").write_text("{}")
    return RunDir(path)


def missing(call) -> str:
    with pytest.raises(MissingRunError) as err:
        call()
    return str(err.value).split(" run ", 1)[1].split(" ", 1)[0]


@pytest.mark.parametrize("algo, dataset", CLAIMS_OFFLINE)
def test_claims_offline_run_keys_are_stable(claims, algo, dataset):
    assert missing(lambda: claims.offline(algo, dataset)) == f"{dataset}/{CLAIMS_OFFLINE[algo, dataset]}"


@pytest.mark.parametrize("algo", CLAIMS_ONLINE)
def test_claims_online_run_keys_are_stable(claims, medium_sac_ml, algo):
    assert missing(lambda: claims.online(algo, medium_sac_ml)) == f"hopper-medium/{CLAIMS_ONLINE[algo]}"


@pytest.mark.parametrize("critic, dataset", CLAIMS_ACTOR_ONLY)
def test_claims_actor_only_run_keys_are_stable(claims, medium_sac_ml, critic, dataset):
    name = missing(lambda: claims.actor_only(medium_sac_ml, dataset, critic=critic))
    assert name == f"{dataset}/{CLAIMS_ACTOR_ONLY[critic, dataset]}"
