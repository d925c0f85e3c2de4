"""Learning checks: minutes of CPU, so excluded from `make test` (run `make test-slow`)."""
import pandas as pd
import pytest

from acalib.experiment import run_online


@pytest.mark.slow
def test_online_sac_learns_inverted_pendulum(tmp_path):
    """SAC from scratch balances InvertedPendulum-v5 (max return 1000) within 20k steps (~3 CPU minutes)."""
    run = run_online("sac", 20_000, tmp_path / "ip", env="invertedpendulum", seeds=[0],
                     settings={"eval_interval": 2000, "eval_episodes": 5, "progress": False})
    m = pd.read_csv(run.metrics_path)
    assert m["return"].iloc[0] < 100  # the untrained policy drops the pole at once
    assert m["return"].iloc[-1] >= 900, m[["step", "return"]].to_string()
