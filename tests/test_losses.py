import math

import pytest
import torch
from torch.distributions import Normal

from acalib import seeding
from acalib.algos.aca import ACA_GROUPS, aca_group
from acalib import losses
from acalib.nets import GaussianPolicy, SquashedGaussianPolicy

R, B = 3, 7


@pytest.fixture
def t():
    g = torch.Generator().manual_seed(0)
    return lambda *shape: torch.randn(*shape, generator=g)


def test_sac_critic_target_and_loss(t):
    r, next_q, next_lp = t(R, B), t(R, 2, B), t(R, B)
    done = (t(R, B) > 0).float()
    alpha = t(R).exp()
    y = losses.sac.sac_critic_target(r, done, next_q, next_lp, alpha, 0.99)
    for i in range(R):
        for j in range(B):
            v = min(next_q[i, 0, j], next_q[i, 1, j]) - alpha[i] * next_lp[i, j]
            assert y[i, j].item() == pytest.approx((r[i, j] + 0.99 * (1 - done[i, j]) * v).item(), rel=1e-5)
    q = t(R, 2, B)
    loss, _ = losses.common.critic_loss(q, y)
    expected = torch.stack([((q[i, 0] - y[i]) ** 2).mean() + ((q[i, 1] - y[i]) ** 2).mean() for i in range(R)])
    torch.testing.assert_close(loss, expected)


def test_temperature_loss_forms(t):
    log_alpha, lp = t(R).requires_grad_(), t(R, B)
    H = -3.0
    loss = losses.common.temperature_loss(log_alpha, lp, H, "log_alpha")
    torch.testing.assert_close(loss, -(log_alpha * (lp + H).mean(-1)))
    loss.sum().backward()
    torch.testing.assert_close(log_alpha.grad, -(lp + H).mean(-1))
    paper = losses.common.temperature_loss(log_alpha, lp, H, "alpha")
    torch.testing.assert_close(paper, -(log_alpha.exp() * (lp + H).mean(-1)))
    with pytest.raises(ValueError, match="valid: \\('log_alpha', 'alpha'\\)"):
        losses.common.temperature_loss(log_alpha, lp, H, "beta")


def test_sac_ml_actor_loss_lambda(t):
    lp, q, lp_data, alpha = t(R, B), t(R, B), t(R, B), t(R).exp()
    loss, stats = losses.sac_ml.sac_ml_actor_loss(lp, q, alpha, lp_data, w=30.0)
    for i in range(R):
        lam = 30.0 / q[i].abs().mean()
        expected = lam * (alpha[i] * lp[i] - q[i]).mean() - lp_data[i].mean()
        assert loss[i].item() == pytest.approx(expected.item(), rel=1e-5)
        assert stats["lambda"][i].item() == pytest.approx(lam.item(), rel=1e-6)


def test_baseline_target_official_and_paper(t):
    r, lp_next, z_next, alpha = t(R, B), t(R, B), t(R, 2, B), t(R).exp()
    done = (t(R, B) > 0).float()
    y = losses.sac_ml.baseline_target(r, done, lp_next, z_next, alpha, 0.99, "official")
    y_paper = losses.sac_ml.baseline_target(r, done, lp_next, z_next, alpha, 0.99, "paper")
    for i in range(R):
        for j in range(B):
            zmin = min(z_next[i, 0, j].item(), z_next[i, 1, j].item())
            cont = 0.99 * (1 - done[i, j].item())
            official = r[i, j].item() + cont * (lp_next[i, j].item() + zmin - alpha[i].item() * lp_next[i, j].item())
            assert y[i, j].item() == pytest.approx(official, rel=1e-5, abs=1e-6)
            assert y_paper[i, j].item() == pytest.approx(r[i, j].item() + cont * (lp_next[i, j].item() + zmin),
                                                         rel=1e-5, abs=1e-6)
    lp_data, z = t(R, B), t(R, 2, B).requires_grad_()
    loss, _ = losses.sac_ml.baseline_loss(lp_data, z, y)
    expected = ((lp_data.unsqueeze(1) + z - y.unsqueeze(1)) ** 2).mean(-1).sum(-1)
    torch.testing.assert_close(loss, expected)
    with pytest.raises(ValueError, match="valid"):
        losses.sac_ml.baseline_target(r, done, lp_next, z_next, alpha, 0.99, "nope")


def squashed_joint_log_density(mean, log_std, u):
    """Independent reference: log N(u) - sum log(1 - tanh(u)^2), via torch.distributions."""
    return (Normal(mean, log_std.exp()).log_prob(u) - torch.log(1 - torch.tanh(u) ** 2)).sum(-1)


def test_beta_clip_bound_squashed_against_independent_computation():
    pol = SquashedGaussianPolicy(4, 3, (16,), seeding.generators([0, 1], "init"))
    obs = torch.randn(2, 9, 4) * 0.3
    mean, log_std = pol.distribution(obs)
    beta = 2.0  # moderate, so the float64-free reference stays accurate
    bound = losses.aca.beta_clip_bound(pol, mean, log_std, beta)
    sigma = log_std.exp()
    lo = squashed_joint_log_density(mean, log_std, mean - beta * sigma)
    hi = squashed_joint_log_density(mean, log_std, mean + beta * sigma)
    torch.testing.assert_close(bound, torch.minimum(lo, hi), rtol=1e-4, atol=1e-4)
    # the Gaussian part is the same on both sides (and |d tanh/du| <= 1 only adds density)
    gauss = (-beta ** 2 / 2 - log_std - 0.5 * math.log(2 * math.pi)).sum(-1)
    assert torch.all(bound >= gauss - 1e-5)


def test_beta_clip_bound_gaussian_is_symmetric():
    pol = GaussianPolicy(4, 3, (16,), seeding.generators([0], "init"))
    mean, log_std = pol.distribution(torch.randn(1, 5, 4))
    bound = losses.aca.beta_clip_bound(pol, mean, log_std, 3.0)
    expected = Normal(mean, log_std.exp()).log_prob(mean + 3.0 * log_std.exp()).sum(-1)
    torch.testing.assert_close(bound, expected)


def test_beta_clip_is_a_smooth_lower_bound(t):
    x, c = 10 * t(R, B), t(R, B)
    y = losses.aca.beta_clip(x, c)
    assert torch.all(y > c)
    assert torch.all(y >= torch.maximum(x, c))
    assert torch.all(y <= torch.maximum(x, c) + math.log(2) + 1e-6)  # softplus(z) <= max(z,0) + log 2
    far = losses.aca.beta_clip(torch.tensor([-100.0, 100.0]), torch.tensor([0.0, 0.0]))
    torch.testing.assert_close(far, torch.tensor([0.0, 100.0]))


def test_aligned_q_and_target(t):
    r_vals, clipped, k = t(R, 2, B), t(R, B), 0.7
    torch.testing.assert_close(losses.aca.aligned_q(r_vals, clipped, k), r_vals + k * clipped[:, None])
    # Eq. (18): k (clip + R) + (1 - k) R is the same thing
    torch.testing.assert_close(losses.aca.aligned_q(r_vals, clipped, k), k * (clipped[:, None] + r_vals) + (1 - k) * r_vals)
    r, next_r, next_clip, next_lp, alpha = t(R, B), t(R, 2, B), t(R, B), t(R, B), t(R).exp()
    done = (t(R, B) > 0).float()
    y = losses.aca.aca_critic_target(r, done, next_r, next_clip, next_lp, alpha, k, 0.99, reward_shift=-1.0)
    v = next_r.min(1).values + k * next_clip - alpha[:, None] * next_lp
    torch.testing.assert_close(y, r - 1.0 + 0.99 * (1 - done) * v)


@pytest.mark.parametrize("group,expected", [
    ("random", {0: 1.0, 5_000: 0.5, 10_000: 0.0, 20_000: 0.0, 40_000: 0.0}),
    ("medium", {0: 1.0, 10_000: 0.75, 20_000: 0.5, 40_000: 0.5}),
    ("medium-replay", {0: 1.0, 10_000: 0.75, 20_000: 0.5, 40_000: 0.5}),
    ("medium-expert", {0: 1.0, 10_000: 1.0, 20_000: 1.0, 40_000: 1.0}),
    ("expert", {0: 1.0, 10_000: 1.0, 20_000: 1.0, 40_000: 1.0}),
    ("antmaze", {0: 1.0, 10_000: 0.95, 20_000: 0.9, 40_000: 0.8, 100_000: 0.5}),
])
def test_k_schedule_official(group, expected):
    g = ACA_GROUPS[group]
    for step, k in expected.items():
        assert losses.aca.interpolation_weight(step, g.k0, g.k_horizon, g.k_min) == pytest.approx(k, abs=1e-9)


def test_k_closed_form_equals_the_official_recursion():
    k, k0, T, k_min = 1.0, 1.0, 40, 0.5
    for step in range(1, 25_001):
        k = max(k - k0 / (T * 1000), k_min)
        if step % 2500 == 0:
            assert losses.aca.interpolation_weight(step, k0, T, k_min) == pytest.approx(k, abs=1e-9)


def test_k_schedule_paper_form():
    assert losses.aca.interpolation_weight(20_000, 1.0, 40, 0.5, "paper") == pytest.approx(0.75)
    assert losses.aca.interpolation_weight(40_000, 1.0, 40, 0.5, "paper") == pytest.approx(0.5)
    with pytest.raises(ValueError, match="valid"):
        losses.aca.interpolation_weight(0, 1.0, 40, 0.5, "linear")


@pytest.mark.parametrize("name,group", [
    ("hopper-medium-replay", "medium-replay"), ("hopper-medium-replay-v2", "medium-replay"),
    ("walker2d-medium-expert-v2", "medium-expert"), ("halfcheetah-expert", "expert"),
    ("hopper-medium", "medium"), ("acalib/hopper/random-v0", "random"), ("antmaze-umaze-v2", "antmaze"),
])
def test_aca_group(name, group):
    assert aca_group(name) == group


def test_aca_group_unknown():
    with pytest.raises(ValueError, match="medium-replay"):
        aca_group("hopper-weird")
