import math

import pytest
import torch

from acalib.algos import CQL, CQLConfig
from acalib.data.buffers import ReplayBuffer
from acalib import losses
from test_agents import assert_run_matches, train


def test_logsumexp_gap_against_a_loop():
    g = torch.Generator().manual_seed(0)
    R, n, B, N, A = 2, 2, 3, 4, 3
    r = lambda *s: torch.randn(*s, generator=g)  # noqa: E731
    q_pol, q_next, q_rand, q_data = r(R, n, B, N), r(R, n, B, N), r(R, n, B, N), r(R, n, B)
    lp, lp_next = r(R, B, N), r(R, B, N)
    log_u = losses.cql.uniform_log_density(A)
    assert log_u == pytest.approx(A * math.log(0.5))
    gap = losses.cql.cql_logsumexp_gap(q_pol, lp, q_next, lp_next, q_rand, log_u, q_data)
    for run in range(R):
        total = 0.0
        for i in range(n):
            for j in range(B):
                terms = [q_pol[run, i, j, k] - lp[run, j, k] for k in range(N)]
                terms += [q_next[run, i, j, k] - lp_next[run, j, k] for k in range(N)]
                terms += [q_rand[run, i, j, k] - log_u for k in range(N)]
                total += math.log(sum(math.exp(t) for t in terms)) - q_data[run, i, j].item()
        assert gap[run].item() == pytest.approx(total / (n * B), rel=1e-5)


def test_penalty_and_lagrange_direction():
    gap = torch.tensor([2.0, 0.5])  # w * gap = 20 > tau = 10 for run 0, 5 < 10 for run 1
    log_ap = torch.zeros(2, requires_grad=True)
    torch.testing.assert_close(losses.cql.conservative_penalty(gap, log_ap, 10.0, 10.0), torch.tensor([10.0, -5.0]),
                               check_dtype=False)
    losses.cql.conservative_alpha_loss(gap, log_ap, 10.0, 10.0).sum().backward()
    assert log_ap.grad[0] < 0 < log_ap.grad[1]  # gradient descent raises alpha' for run 0, lowers it for run 1


def test_cql_batched_seeds_match_single_seed(transitions):
    cfg = CQLConfig(hidden=(32, 32), batch_size=16, n_action_samples=4)
    many = CQL(cfg, transitions.obs_dim, transitions.act_dim, [1, 2, 3])
    one = CQL(cfg, transitions.obs_dim, transitions.act_dim, [3])
    stats = train(many, ReplayBuffer.from_transitions(transitions, 3))
    train(one, ReplayBuffer.from_transitions(transitions, 1))
    assert_run_matches(many, 2, one)
    assert torch.all(stats["alpha_prime"] != 1.0)  # the Lagrange multiplier moved


def test_cql_with_baseline_aligns_into_aca(transitions):
    from acalib.algos import ACA, aca_config

    assert torch.equal(losses.sac_ml.floor_log_pi(torch.tensor([-3.0, 2.0]), 0.0), torch.tensor([0.0, 2.0]))
    assert torch.equal(losses.sac_ml.floor_log_pi(torch.tensor([-3.0, 2.0]), None), torch.tensor([-3.0, 2.0]))
    cfg = CQLConfig(hidden=(32, 32), batch_size=16, n_action_samples=2, fit_baseline=True)
    off = CQL(cfg, transitions.obs_dim, transitions.act_dim, [0, 1])
    before = off.baseline.net.weights[0].detach().clone()
    stats = train(off, ReplayBuffer.from_transitions(transitions, 2), n=3)
    assert "z_loss" in stats and not torch.equal(before, off.baseline.net.weights[0])
    aca = ACA.from_offline(off, aca_config("medium", base=off.config, batch_size=16))
    obs = torch.randn(2, 8, transitions.obs_dim)
    assert torch.equal(aca.critic(obs, torch.zeros(2, 8, transitions.act_dim)), off.baseline(obs))
    without = CQL(CQLConfig(hidden=(32, 32)), transitions.obs_dim, transitions.act_dim, [0])
    with pytest.raises(ValueError, match="fit_baseline=true"):
        ACA.from_offline(without, aca_config("medium"))
