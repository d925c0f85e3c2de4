import math

import pytest
import torch
from torch import nn
from torch.distributions import Normal, TanhTransform, TransformedDistribution

from acalib import seeding
from acalib.nets import (BatchedMLP, GaussianPolicy, QEnsemble, SquashedGaussianPolicy, VEnsemble,
                         clip_grad_norm_per_run, make_policy, q_from_baseline)


def gens(seeds):
    return seeding.generators(seeds, "init")


def test_batched_mlp_matches_nn_linear_per_member():
    mlp = BatchedMLP(5, 2, (8, 8), gens([0, 1]), members_per_run=2)
    x = torch.randn(4, 7, 5)
    y = mlp(x)
    for m in range(4):
        ref = x[m]
        for i, (w, b) in enumerate(zip(mlp.weights, mlp.biases)):
            lin = nn.Linear(w.shape[1], w.shape[2])
            lin.weight.data, lin.bias.data = w[m].T.clone(), b[m, 0].clone()
            ref = lin(ref)
            if i < len(mlp.weights) - 1:
                ref = torch.relu(ref)
        torch.testing.assert_close(y[m], ref)


def test_init_matches_pytorch_default_bounds_and_depends_only_on_seed():
    a = BatchedMLP(17, 1, (256, 256), gens([3]))
    b = BatchedMLP(17, 1, (256, 256), gens([1, 2, 3]))
    for pa, pb in zip(a.parameters(), b.parameters()):
        torch.testing.assert_close(pa[0], pb[2])
    w0 = a.weights[0]
    bound = 1 / math.sqrt(17)
    assert w0.abs().max() <= bound and w0.abs().max() > 0.9 * bound
    assert abs(w0.std().item() - bound / math.sqrt(3)) < 0.01  # U(-b, b) has std b / sqrt(3)


def test_squashed_log_prob_matches_torch_distributions():
    torch.manual_seed(0)
    pol = SquashedGaussianPolicy(4, 3, (16,), gens([0, 1]))
    obs = torch.randn(2, 64, 4)
    mean, log_std = pol.distribution(obs)
    ref = TransformedDistribution(Normal(mean, log_std.exp()), [TanhTransform(cache_size=1)])
    noise = torch.randn_like(mean)
    action, log_pi = pol.rsample(mean, log_std, noise)
    u = mean + log_std.exp() * noise
    torch.testing.assert_close(action, torch.tanh(u))
    # the sample's log-prob from its raw pre-tanh value, as torch computes it with the cached u
    torch.testing.assert_close(log_pi, ref.log_prob(ref.transforms[0](u)).sum(-1), rtol=1e-5, atol=1e-4)
    # a given action: clamp to +-0.999999 and atanh
    given = torch.tanh(torch.randn(2, 64, 3))
    expected = Normal(mean, log_std.exp()).log_prob(torch.atanh(given)).sum(-1) \
        - torch.log1p(-given.pow(2)).sum(-1)
    torch.testing.assert_close(pol.log_prob(obs, given), expected, rtol=1e-4, atol=1e-3)


def test_given_action_at_the_bound_is_clamped():
    pol = SquashedGaussianPolicy(2, 1, (8,), gens([0]))
    obs = torch.zeros(1, 1, 2)
    lp_edge = pol.log_prob(obs, torch.ones(1, 1, 1))
    lp_clamped = pol.log_prob(obs, torch.full((1, 1, 1), 0.999999))
    assert torch.isfinite(lp_edge).all()
    torch.testing.assert_close(lp_edge, lp_clamped)


def test_log_std_is_clamped():
    pol = SquashedGaussianPolicy(2, 1, (8,), gens([0]))
    with torch.no_grad():
        pol.net.biases[-1][..., 1] = 50.0
    _, log_std = pol.distribution(torch.zeros(1, 3, 2))
    assert torch.all(log_std == 2.0)


def test_gaussian_policy_state_independent_sigma():
    pol = GaussianPolicy(3, 2, (8,), gens([0, 1]))
    obs = torch.randn(2, 5, 3)
    mean, log_std = pol.distribution(obs)
    torch.testing.assert_close(log_std, torch.full_like(log_std, -2.5))  # -5 + 5 sigmoid(0)
    assert mean.abs().max() < 1  # loc = tanh(mu)
    action, log_pi = pol.rsample(mean, log_std, 10 * torch.randn_like(mean))
    assert action.abs().max() <= 1
    torch.testing.assert_close(log_pi, Normal(mean, log_std.exp()).log_prob(action).sum(-1))
    with pytest.raises(ValueError, match="valid: \\['gaussian', 'squashed'\\]"):
        make_policy("beta", 3, 2, (8,), gens([0]))


def test_r_from_z_equals_z_for_any_action():
    z = VEnsemble(6, (32, 32), gens([0, 1]), n=2)
    q = QEnsemble(6, 2, (32, 32), gens([5, 6]), n=2)
    q_from_baseline(z, q)
    obs = torch.randn(2, 40, 6)
    for _ in range(3):
        action = torch.rand(2, 40, 2) * 2 - 1
        assert torch.equal(q(obs, action), z(obs))
    assert torch.count_nonzero(q.net.weights[0][:, 6:]) == 0


def test_r_from_z_rejects_mismatched_ensembles():
    z = VEnsemble(6, (32, 32), gens([0]), n=2)
    q = QEnsemble(6, 2, (32, 32), gens([0, 1]), n=2)
    with pytest.raises(ValueError, match="does not fit"):
        q_from_baseline(z, q)


def test_per_run_grad_clip_matches_torch_clip_on_each_run():
    pol = SquashedGaussianPolicy(4, 2, (16,), gens([0, 1, 2]))
    obs = torch.randn(3, 32, 4)
    scale = torch.tensor([0.01, 1.0, 100.0]).view(3, 1)
    (pol.distribution(obs)[0].sum(-1) * scale).sum().backward()
    grads = {n: p.grad.clone() for n, p in pol.named_parameters()}
    clip_grad_norm_per_run(list(pol.parameters()), 0.25, runs=3)
    for r in range(3):
        ps = [torch.nn.Parameter(torch.zeros_like(g[r])) for g in grads.values()]
        for p, g in zip(ps, grads.values()):
            p.grad = g[r].clone()
        torch.nn.utils.clip_grad_norm_(ps, 0.25)
        for p, (_, q) in zip(ps, pol.named_parameters()):
            torch.testing.assert_close(q.grad[r], p.grad)
