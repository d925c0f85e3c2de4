import h5py
import numpy as np
import pytest

from acalib.data import minari_io
from acalib.data.d4rl import read_d4rl_hdf5
from acalib.data.datasets import load_dataset, parse_name
from acalib.envs import normalized_score


def write_d4rl(path, n=10, next_obs=False):
    obs = np.arange(n * 2, dtype=np.float32).reshape(n, 2)
    timeouts = np.zeros(n, bool)
    timeouts[4] = True  # first episode: rows 0-4, cut by the time limit at row 4
    terminals = np.zeros(n, bool)
    terminals[7] = True  # second episode terminates at row 7
    with h5py.File(path, "w") as f:
        f["observations"] = obs
        f["actions"] = np.full((n, 1), 0.5, np.float32)
        f["rewards"] = np.arange(n, dtype=np.float32)
        f["terminals"] = terminals
        f["timeouts"] = timeouts
        if next_obs:
            f["next_observations"] = obs + 100
    return obs


def test_d4rl_hdf5_without_next_observations_drops_timeouts(tmp_path):
    obs = write_d4rl(tmp_path / "hopper-medium-v2.hdf5")
    t = read_d4rl_hdf5(tmp_path / "hopper-medium-v2.hdf5")
    kept = [0, 1, 2, 3, 5, 6, 7, 8]  # row 4 (timeout) and the last row (no successor) are dropped
    np.testing.assert_array_equal(t.observations, obs[kept])
    np.testing.assert_array_equal(t.next_observations, obs[[k + 1 for k in kept]])
    np.testing.assert_array_equal(t.rewards, kept)
    assert t.terminals.tolist() == [False] * 6 + [True, False]
    assert [tuple(b) for b in t.episode_bounds()] == [(0, 4), (4, 7), (7, 8)]  # the step before a timeout ends


def test_d4rl_hdf5_with_next_observations(tmp_path):
    obs = write_d4rl(tmp_path / "x.hdf5", next_obs=True)
    t = read_d4rl_hdf5(tmp_path / "x.hdf5")
    assert len(t) == 10
    np.testing.assert_array_equal(t.next_observations, obs + 100)


def test_d4rl_dataset_resolution_uses_d4rl_scores(tmp_path, monkeypatch):
    write_d4rl(tmp_path / "hopper-medium-v2.hdf5")
    monkeypatch.setenv("D4RL_DATASET_DIR", str(tmp_path))
    ds = load_dataset("hopper-medium")
    assert ds.source.startswith("d4rl:") and (ds.ref_min, ds.ref_max) == (-20.272305, 3234.3)
    with pytest.raises(FileNotFoundError, match="hopper-expert-v2.hdf5"):
        load_dataset("hopper-expert")


def test_bad_d4rl_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing.hdf5"):
        read_d4rl_hdf5(tmp_path / "nothing.hdf5")
    (tmp_path / "junk.hdf5").write_bytes(b"junk")
    with pytest.raises(ValueError, match="junk.hdf5.*not a readable HDF5"):
        read_d4rl_hdf5(tmp_path / "junk.hdf5")
    with h5py.File(tmp_path / "partial.hdf5", "w") as f:
        f["observations"] = np.zeros((3, 2))
    with pytest.raises(ValueError, match="lacks datasets \\['actions'"):
        read_d4rl_hdf5(tmp_path / "partial.hdf5")


def test_minari_round_trip(tmp_path, monkeypatch, transitions):
    monkeypatch.setenv("MINARI_DATASETS_PATH", str(tmp_path))
    # Minari stores T + 1 observations per episode: next states must chain within episodes
    for s, e in transitions.episode_bounds():
        transitions.observations[s + 1:e] = transitions.next_observations[s:e - 1]
    minari_io.write("acalib/test/rt-v0", transitions, "Hopper-v5", -1.0, 2.0, "synthetic", "round trip")
    back, meta = minari_io.read("acalib/test/rt-v0")
    for field in ("observations", "actions", "rewards", "next_observations", "terminals", "timeouts"):
        np.testing.assert_array_equal(getattr(back, field), getattr(transitions, field), err_msg=field)
    assert (meta["ref_min_score"], meta["ref_max_score"]) == (-1.0, 2.0)
    assert not list(tmp_path.glob(".building-*"))  # the temporary build root is gone
    with pytest.raises(FileExistsError):
        minari_io.write("acalib/test/rt-v0", transitions, "Hopper-v5", -1.0, 2.0, "synthetic", "again")


def test_half_built_dataset_is_not_used(tmp_path, monkeypatch):
    monkeypatch.setenv("MINARI_DATASETS_PATH", str(tmp_path))
    (tmp_path / "acalib/hopper/random-77-v0/data").mkdir(parents=True)  # no metadata: a crashed build
    assert not minari_io.exists("acalib/hopper/random-77-v0")
    with pytest.raises(FileNotFoundError, match="no local Minari dataset"):
        minari_io.read("acalib/hopper/random-77-v0")


def test_normalized_score_is_percent():
    assert normalized_score(3234.3, -20.272305, 3234.3) == pytest.approx(100.0)
    assert normalized_score(-20.272305, -20.272305, 3234.3) == pytest.approx(0.0)


@pytest.mark.parametrize("name,msg", [("hopper-bogus", "unknown level 'bogus'"),
                                      ("cheetah-random", "unknown environment 'cheetah'")])
def test_bad_dataset_names(name, msg):
    with pytest.raises(ValueError, match=msg):
        parse_name(name)


def test_discounted_returns_to_go_restart_at_every_episode_end():
    from acalib.data.buffers import Transitions
    rewards = [1.0, 2.0, 3.0, 4.0, 5.0]  # episodes [0, 2) terminated, [2, 4) cut by a timeout, [4, 5) the data's tail
    t = Transitions(np.zeros((5, 1)), np.zeros((5, 1)), rewards, np.zeros((5, 1)),
                    [False, True, False, False, False], [False, False, False, True, False])
    np.testing.assert_allclose(t.discounted_returns_to_go(0.5), [1 + 0.5 * 2, 2, 3 + 0.5 * 4, 4, 5])
