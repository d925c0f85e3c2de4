import numpy as np
import pytest
import torch

from acalib.data.buffers import Transitions


def synthetic_transitions(n=2000, obs_dim=11, act_dim=3, episode_len=50, seed=0) -> Transitions:
    """Random transitions in episodes of ``episode_len`` (some terminated, the rest cut)."""
    rng = np.random.default_rng(seed)
    ends = np.zeros(n, bool)
    ends[episode_len - 1::episode_len] = True
    terminals = ends & (rng.random(n) < 0.5)
    return Transitions(rng.standard_normal((n, obs_dim)), np.tanh(rng.standard_normal((n, act_dim))),
                       rng.standard_normal(n), rng.standard_normal((n, obs_dim)), terminals, ends & ~terminals)


@pytest.fixture
def transitions():
    return synthetic_transitions()


@pytest.fixture(scope="session")
def minari_root(tmp_path_factory):
    """A private MINARI_DATASETS_PATH holding a small generated hopper-random dataset."""
    root = tmp_path_factory.mktemp("minari")
    mp = pytest.MonkeyPatch()
    mp.setenv("MINARI_DATASETS_PATH", str(root))
    from acalib.data.datasets import build_dataset
    build_dataset("hopper", "random", size=3000)
    yield root
    mp.undo()


@pytest.fixture(autouse=True)
def _threads():
    torch.set_num_threads(1)  # deterministic and fair on the 2-core CI machine
    yield
