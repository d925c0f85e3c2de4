"""Balanced Replay (CQL->BR): losses against direct computations, the density ratio on known
Gaussians, offline ensembles, batched-vs-single seeds, the buffer, and an end-to-end run."""
import json
import math

import numpy as np
import pandas as pd
import pytest
import torch

from acalib.algos import (BR, CQL, BRConfig, CQLConfig, CQLEnsemble, CQLEnsembleConfig, SACMLEnsemble,
                          SACMLEnsembleConfig)
from acalib.algos.br import DensityRatio
from acalib.algos.ensemble import member_seeds
from acalib.data.balanced_replay import BalancedReplayBuffer
from acalib.data.buffers import ReplayBuffer
from acalib.experiment import run_offline, run_online
from acalib import losses
from acalib.checkpoint import load_checkpoint
from test_agents import assert_run_matches, run_slice, train

SMALL_CQL = dict(hidden=(32, 32), batch_size=16, n_action_samples=2, ensemble_size=2)
SMALL_BR = BRConfig(hidden=(32, 32), batch_size=16, density_hidden=(32, 32), density_batch_size=8)


def test_js_loss_matches_a_direct_computation_and_is_tight_at_the_true_ratio():
    w_off, w_on = torch.tensor([[0.0, 0.5, 2.0], [1.0, 1.0, 3.0]]), torch.tensor([[0.2, 4.0], [1.0, 0.0]])
    loss = losses.br.js_density_ratio_loss(w_off, w_on)
    for r in range(2):
        off = [-math.log(2 / (w + 1) + 1e-10) for w in w_off[r].tolist()]
        on = [math.log(2 * w / (w + 1) + 1e-10) for w in w_on[r].tolist()]
        assert loss[r].item() == pytest.approx(np.mean(off) - np.mean(on), rel=1e-6)
    # On two discrete distributions (atoms repeated by probability) the loss at w = p_on / p_off is
    # -D_f = -2 JSD(P_on, P_off), its minimum: the variational bound is tight there.
    p_off, p_on = np.array([0.5, 0.25, 0.25]), np.array([0.25, 0.25, 0.5])
    ratio = torch.tensor(p_on / p_off)
    off_atoms, on_atoms = torch.tensor([0, 0, 1, 2]), torch.tensor([0, 1, 2, 2])
    m = (p_off + p_on) / 2
    jsd = 0.5 * (p_on * np.log(p_on / m)).sum() + 0.5 * (p_off * np.log(p_off / m)).sum()
    at_truth = losses.br.js_density_ratio_loss(ratio[off_atoms][None], ratio[on_atoms][None]).item()
    assert at_truth == pytest.approx(-2 * jsd, abs=1e-8)
    for bump in ([0.3, 0, 0], [0, -0.2, 0], [0, 0, 0.5]):
        w = ratio + torch.tensor(bump, dtype=ratio.dtype)
        assert losses.br.js_density_ratio_loss(w[off_atoms][None], w[on_atoms][None]).item() > at_truth


def test_priority_is_normalised_by_the_offline_batch_and_clamped():
    w = torch.tensor([[1.0, 32.0, 0.0, 1e20], [1.0, 32.0, 0.0, 1.0]])
    w_off = torch.tensor([[1.0, 1.0], [32.0, 32.0]])  # run 1's offline batch scores 2 after the 1/T power
    p = losses.br.balanced_priority(w, w_off, temperature=5.0, clip=(1e-3, 1e3))
    expected = torch.tensor([[1.0, 2.0, 1e-3, 1e3], [0.5, 1.0, 1e-3, 0.5]])
    torch.testing.assert_close(p, expected, rtol=1e-5, atol=0)
    with pytest.raises(ValueError, match="temperature must be positive"):
        losses.br.balanced_priority(w, w_off, temperature=0.0)
    with pytest.raises(ValueError, match="init_online_fraction must lie in \\(0, 1\\), got 1.0"):
        BRConfig(init_online_fraction=1.0)


def test_moment_matching_against_the_literal_formula():
    g = torch.Generator().manual_seed(0)
    mean = torch.randn(2, 5, 4, 3, generator=g, dtype=torch.float64)  # (R, E, B, A)
    log_std = torch.randn(2, 5, 4, 3, generator=g, dtype=torch.float64) * 0.5
    mu, log_sigma = losses.br.moment_match(mean, log_std, dim=1)
    for r in range(2):
        for b in range(4):
            for a in range(3):
                m, s = mean[r, :, b, a].numpy(), np.exp(log_std[r, :, b, a].numpy())
                mu_bar = m.mean()
                var = (m ** 2 + s ** 2).mean() - mu_bar ** 2  # official ParallelTanhGaussianPolicy
                assert mu[r, b, a].item() == pytest.approx(mu_bar, rel=1e-12)
                assert math.exp(log_sigma[r, b, a].item()) == pytest.approx(math.sqrt(var), rel=1e-10)
    # one member is that member; sigma is clamped to [e^-20, e^2] as the official code
    one_mu, one_ls = losses.br.moment_match(mean[:, :1], log_std[:, :1], dim=1)
    torch.testing.assert_close(one_mu, mean[:, 0])
    torch.testing.assert_close(one_ls, log_std[:, 0])
    _, wide = losses.br.moment_match(torch.tensor([[-100.0, 100.0]]), torch.zeros(1, 2), dim=1)
    assert wide.item() == 2.0


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    rx, ry = np.argsort(np.argsort(x)), np.argsort(np.argsort(y))
    return float(np.corrcoef(rx, ry)[0, 1])


def test_density_ratio_net_orders_points_by_the_true_ratio():
    """Offline N(0, I), online N(mu, I) on (s, a) in R^2: the true log ratio is mu.x - |mu|^2 / 2."""
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(0)
    mu = torch.tensor([0.8, -0.6])
    net = DensityRatio(1, 1, (64, 64), [torch.Generator().manual_seed(1)])
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    for _ in range(600):
        off = torch.randn(1, 256, 2, generator=g)
        on = torch.randn(1, 256, 2, generator=g) + mu
        loss = losses.br.js_density_ratio_loss(net(off[..., :1], off[..., 1:]), net(on[..., :1], on[..., 1:]))
        opt.zero_grad()
        loss.sum().backward()
        opt.step()
    test = torch.cat([torch.randn(1, 200, 2, generator=g), torch.randn(1, 200, 2, generator=g) + mu], dim=1)
    with torch.no_grad():
        w = net(test[..., :1], test[..., 1:])[0].numpy()
        w_off = net(*torch.randn(1, 2000, 2, generator=g).split(1, dim=-1))
    true_log_ratio = (test[0] @ mu - mu.pow(2).sum() / 2).numpy()
    assert spearman(w, true_log_ratio) > 0.95  # 0.5 before training
    assert 0.8 < w_off.mean().item() < 1.2  # E_off[d_on / d_off] = 1


def test_ensemble_member_zero_is_the_plain_run(transitions):
    d = transitions
    assert member_seeds([0, 3], 3) == [0, 10000, 20000, 3, 10003, 20003]
    with pytest.raises(ValueError, match="seeds in \\[0, 10000\\).*\\[10000\\]"):
        member_seeds([10000], 2)
    ens = CQLEnsemble(CQLEnsembleConfig(**SMALL_CQL), d.obs_dim, d.act_dim, [3])
    assert ens.seeds == [3, 10003] and ens.base_seeds == [3] and ens.runs == 2
    cfg = CQLConfig(**{k: v for k, v in SMALL_CQL.items() if k != "ensemble_size"})
    plain = [CQL(cfg, d.obs_dim, d.act_dim, [s]) for s in (3, 10003)]
    train(ens, ReplayBuffer.from_transitions(d, 2), n=3)
    for member, agent in enumerate(plain):
        train(agent, ReplayBuffer.from_transitions(d, 1), n=3)
        assert_run_matches(ens, member, agent)


def test_sac_ml_ensemble_feeds_br_too(transitions):
    d = transitions
    cfg = SACMLEnsembleConfig(hidden=(32, 32), batch_size=16, ensemble_size=3)
    assert SACMLEnsembleConfig().ensemble_size == CQLEnsembleConfig().ensemble_size == 5
    off = SACMLEnsemble(cfg, d.obs_dim, d.act_dim, [4])
    assert off.name == "sac_ml_ensemble" and off.seeds == [4, 10004, 20004]
    train(off, ReplayBuffer.from_transitions(d, off.runs), n=2)
    br = BR.from_offline(off, SMALL_BR)
    assert br.ensemble_size == 3
    assert br.q(torch.randn(1, 5, d.obs_dim), torch.zeros(1, 5, d.act_dim)).shape == (1, 3, 2, 5)


def offline_ensemble(transitions, seeds, steps=3):
    agent = CQLEnsemble(CQLEnsembleConfig(**SMALL_CQL), transitions.obs_dim, transitions.act_dim, seeds)
    train(agent, ReplayBuffer.from_transitions(transitions, agent.runs), n=steps)
    return agent


def add_online(buffer, transitions, seeds, i):
    """Online transition i of each seed: dataset row 100 seed + i (independent of the other seeds)."""
    rows = [100 * s + i for s in seeds]
    d = transitions
    buffer.add(d.observations[rows], d.actions[rows], d.rewards[rows], d.next_observations[rows],
               np.zeros(len(seeds)), np.zeros(len(seeds)))


def br_agent(transitions, seeds):
    agent = BR.from_offline(offline_ensemble(transitions, seeds), SMALL_BR)
    agent.attach(BalancedReplayBuffer(len(seeds), transitions, 1000, SMALL_BR.density_batch_size,
                                      init_online_fraction=0.5, init_online_window=10, max_added=200))
    return agent


def test_switch_to_br_keeps_the_members_and_resets_alpha(transitions):
    d = transitions
    off = offline_ensemble(d, [0, 1])
    br = BR.from_offline(off, SMALL_BR)
    obs, act = torch.randn(2, 7, d.obs_dim), torch.rand(2, 7, d.act_dim) * 2 - 1
    member_obs = obs.repeat_interleave(2, dim=0)  # seed-major: members of seed 0, then of seed 1
    q_members = off.critic(member_obs, act.repeat_interleave(2, dim=0))  # (R*E, 2, B)
    torch.testing.assert_close(br.q(obs, act).reshape(2 * 2, 2, 7), q_members)
    torch.testing.assert_close(br.q(obs, act, target=True), br.q(obs, act))
    mean, log_std = off.actor.distribution(member_obs)
    mu, log_sigma = br.actor.distribution(obs)
    torch.testing.assert_close(mu, mean.view(2, 2, 7, -1).mean(1))
    torch.testing.assert_close(log_sigma, losses.br.moment_match(mean.view(2, 2, 7, -1), log_std.view(2, 2, 7, -1))[1])
    assert torch.equal(br.alpha, torch.ones(2)) and br.seeds == [0, 1] and br.member_seeds == off.seeds
    w = br.density(obs, act)
    assert torch.all((w - 1).abs() < 0.1)  # last bias 1, tiny last weights: w starts near 1
    with pytest.raises(ValueError, match="cql_ensemble"):
        BR.from_offline(CQL(CQLConfig(hidden=(32, 32)), d.obs_dim, d.act_dim, [0]), SMALL_BR)
    with pytest.raises(ValueError, match="hidden"):
        BR.from_offline(off, BRConfig(hidden=(64, 64)))
    with pytest.raises(RuntimeError, match="attach"):
        br.update(None)


def test_br_update_matches_a_literal_reimplementation_of_the_official_step(transitions):
    """Two BR updates of one seed against the official ``OursTrainer`` step written out with
    nn.Linear members: one forward pass, then alpha -> policy -> qf1 -> qf2 -> weight net -> Polyak."""
    from torch import nn
    from torch.distributions import Normal

    from test_reference_update import draw_noise, to_sequential

    agent, e, a_dim = br_agent(transitions, [0]), 2, transitions.act_dim
    policies = [to_sequential(agent.actor.members.net, i) for i in range(e)]
    qf = [[to_sequential(agent.critic.net, 2 * i + j) for i in range(e)] for j in range(2)]  # qf1, qf2
    target_qf = [[to_sequential(agent.critic_target.net, 2 * i + j) for i in range(e)] for j in range(2)]
    weight_net = to_sequential(agent.density.net, 0)
    log_alpha = nn.Parameter(torch.zeros(()))
    adam = lambda params: torch.optim.Adam(params, lr=3e-4)  # noqa: E731
    opts = {"alpha": adam([log_alpha]), "policy": adam([p for pi in policies for p in pi.parameters()]),
            "qf1": adam([p for q in qf[0] for p in q.parameters()]),
            "qf2": adam([p for q in qf[1] for p in q.parameters()]),
            "weight": adam(weight_net.parameters())}

    def ensemble_dist(s):
        out = [pi(s).chunk(2, -1) for pi in policies]
        means = torch.stack([m for m, _ in out])
        stds = torch.stack([ls.clamp(-20, 2).exp() for _, ls in out])
        mean = means.mean(0)
        std = ((means ** 2 + stds ** 2).mean(0) - mean ** 2).sqrt().clamp(math.exp(-20), math.exp(2))
        return mean, std

    def sample(s, noise):
        mean, std = ensemble_dist(s)
        z = mean + std * noise
        correction = 2 * (math.log(2) - z - torch.nn.functional.softplus(-2 * z))
        return torch.tanh(z), (Normal(mean, std).log_prob(z) - correction).sum(-1)

    def q_members(nets, s, a):
        return torch.stack([q(torch.cat([s, a], -1)).squeeze(-1) for q in nets])  # (E, B)

    for i in range(2):
        add_online(agent.replay, transitions, [0], i)
        batch = agent.replay.sample(agent.config.batch_size, agent.data_generators)
        n1, n2 = draw_noise(agent, agent.config.batch_size)
        s, act, r, s2, d, s_off, a_off, s_on, a_on = (x[0] for x in batch[:9])
        w = lambda s_, a_: weight_net(torch.cat([s_, a_], -1)).squeeze(-1).relu()  # noqa: E731
        offline_weight, online_weight = w(s_off, a_off), w(s_on, a_on)
        weight_loss = (-torch.log(2 / (offline_weight + 1) + 1e-10)
                       - torch.log(2 * online_weight / (online_weight + 1) + 1e-10)).mean()
        with torch.no_grad():
            priority = (w(s, act) ** 0.2 / ((offline_weight ** 0.2).mean() + 1e-10)).clamp(1e-3, 1e3)
        new_a, log_pi = sample(s, n1)
        alpha = log_alpha.exp()
        alpha_loss = -(log_alpha * (log_pi - a_dim).detach()).mean()
        q_new = torch.min(q_members(qf[0], s, new_a), q_members(qf[1], s, new_a)).mean(0)
        policy_loss = (alpha.detach() * log_pi - q_new).mean()
        with torch.no_grad():
            next_a, next_log_pi = sample(s2, n2)
            target = torch.min(q_members(target_qf[0], s2, next_a), q_members(target_qf[1], s2, next_a))
            q_target = r + (1 - d) * 0.99 * (target - alpha * next_log_pi)
        qf_loss = [((q_members(qf[j], s, act) - q_target) ** 2).mean(-1).sum() for j in range(2)]
        for name, loss in (("alpha", alpha_loss), ("policy", policy_loss), ("qf1", qf_loss[0]),
                           ("qf2", qf_loss[1]), ("weight", weight_loss)):
            opts[name].zero_grad()
            loss.backward()
            opts[name].step()
        with torch.no_grad():
            for online, target_nets in zip(qf, target_qf):
                for q, tq in zip(online, target_nets):
                    for p, tp in zip(q.parameters(), tq.parameters()):
                        tp.mul_(0.995).add_(0.005 * p)

        stats = agent.update(batch)
        for key, ref in (("critic_loss", qf_loss[0] + qf_loss[1]), ("actor_loss", policy_loss),
                         ("density_loss", weight_loss), ("temp_loss", alpha_loss)):
            assert stats[key].item() == pytest.approx(ref.item(), rel=1e-5, abs=1e-6), key
        torch.testing.assert_close(agent.replay.tree.priorities(batch.leaf)[0], priority.double(), rtol=1e-5, atol=1e-7)
    torch.testing.assert_close(agent.log_alpha.detach(), log_alpha.detach().view(1))
    for mine, ref in ((agent.actor.members.net, policies), (agent.density.net, [weight_net])):
        for m, net in enumerate(ref):
            torch.testing.assert_close(to_sequential(mine, m)[0].weight, net[0].weight, rtol=1e-4, atol=1e-6)
    for j in range(2):
        for i in range(e):
            for mine, ref in ((agent.critic.net, qf), (agent.critic_target.net, target_qf)):
                torch.testing.assert_close(to_sequential(mine, 2 * i + j)[-1].weight, ref[j][i][-1].weight,
                                           rtol=1e-4, atol=1e-6)


def test_br_batched_seeds_match_single_seed(transitions):
    many, one = br_agent(transitions, [1, 2, 3]), br_agent(transitions, [3])
    for agent, seeds in ((many, [1, 2, 3]), (one, [3])):
        for i in range(12):
            add_online(agent.replay, transitions, seeds, i)
            stats = agent.update(agent.replay.sample(agent.config.batch_size, agent.data_generators))
    assert_run_matches(many, 2, one)
    n = len(one.replay)
    torch.testing.assert_close(many.replay.tree.leaves(n)[2], one.replay.tree.leaves(n)[0], rtol=1e-4, atol=1e-6)
    assert not torch.allclose(run_slice(many, 0)["density.net.weights.0"], run_slice(many, 2)["density.net.weights.0"])
    assert set(stats) >= {"density_loss", "w_offline", "w_online", "priority_mean", "online_share", "critic_loss"}
    assert "priority" not in stats


def test_buffer_priorities_and_state_round_trip(transitions):
    d = transitions
    buf = BalancedReplayBuffer(2, d, 100, 8, init_online_fraction=0.75, init_online_window=10, max_added=50)
    m = len(d)
    assert len(buf) == m and buf.tree.total.tolist() == [m, m]  # offline data starts at priority 1
    start = m * 0.75 / (0.25 * 10)
    assert buf.tree.max_priority.tolist() == [start, start]
    for i in range(10):
        add_online(buf, d, [0, 1], i)
    # the first N = 10 online transitions hold a fraction f = 0.75 of the mass
    torch.testing.assert_close(buf.tree.total, torch.full((2,), m + 10 * start, dtype=torch.float64))
    assert (10 * start) / (m + 10 * start) == pytest.approx(0.75)
    gens = [torch.Generator().manual_seed(s) for s in (0, 1)]
    batch = buf.sample(64, gens)
    share = buf.online_share(batch.leaf)
    assert torch.all((share > 0.5) & (share < 0.95))  # about 0.75
    online = batch.leaf >= m
    torch.testing.assert_close(batch.obs[0][online[0]], torch.as_tensor(d.observations[batch.leaf[0][online[0]] - m]))
    torch.testing.assert_close(batch.obs[1][~online[1]], torch.as_tensor(d.observations[batch.leaf[1][~online[1]]]))
    buf.update_priorities(batch.leaf, torch.full((2, 64), 2.0))
    twin = BalancedReplayBuffer(2, d, 100, 8, init_online_fraction=0.75, init_online_window=10, max_added=50)
    twin.load_state(buf.state())
    assert torch.equal(twin.tree.tree, buf.tree.tree) and torch.equal(twin.tree.max_priority, buf.tree.max_priority)
    g1, g2 = ([torch.Generator().manual_seed(s) for s in (5, 6)] for _ in range(2))
    assert all(torch.equal(a, b) for a, b in zip(twin.sample(32, g1), buf.sample(32, g2)))
    with pytest.raises(ValueError, match="offline transitions"):
        BalancedReplayBuffer(2, d.take(np.arange(10)), 100, 8).load_state(buf.state())


SMALL_RUN = {"hidden": [32, 32], "batch_size": 32, "n_action_samples": 2, "ensemble_size": 2}
FAST = {"eval_interval": 100, "eval_episodes": 1, "checkpoint_interval": 100, "progress": False}
BR_OVERRIDES = {"batch_size": 32, "density_batch_size": 32, "density_hidden": [32, 32]}


def test_cql_ensemble_to_br_end_to_end_with_resume(minari_root, tmp_path, monkeypatch):
    off = run_offline("cql_ensemble", "hopper-random", [0], 20, tmp_path / "ens", overrides=SMALL_RUN,
                      settings={**FAST, "eval_interval": 20, "checkpoint_interval": 20}, size=3000)
    m = pd.read_csv(off.metrics_path)
    assert m["seed"].tolist() == [0, 10000]  # one row per member, its member seed
    real_update = BR.update

    def killed(self, batch):
        if self.step == 150:
            raise KeyboardInterrupt  # as if the process died between checkpoints
        return real_update(self, batch)

    monkeypatch.setattr(BR, "update", killed)
    with pytest.raises(KeyboardInterrupt):
        run_online("br", 200, tmp_path / "br", init=tmp_path / "ens", overrides=BR_OVERRIDES, settings=FAST)
    monkeypatch.setattr(BR, "update", real_update)
    on = run_online("br", 200, tmp_path / "br", init=tmp_path / "ens", overrides=BR_OVERRIDES, settings=FAST)
    m = pd.read_csv(on.metrics_path)
    assert m["step"].tolist() == [0, 100, 200] and m["updates"].tolist()[-1] == 200
    for key in ("critic_loss", "density_loss", "w_online", "priority_mean", "online_share", "alpha"):
        assert m[key].iloc[1:].notna().all(), key
    cfg = json.loads(on.config_path.read_text())
    assert cfg["init_algo"] == "cql_ensemble" and cfg["buffer_prefill"] == 3000
    assert cfg["hyperparameters"]["priority_temperature"] == 5.0 and cfg["hyperparameters"]["hidden"] == [32, 32]
    state = load_checkpoint(on.final_checkpoint)
    leaves = state["buffer"]["priorities"]
    assert leaves.shape == (1, 3200) and state["buffer"]["online"]["size"] == 200
    assert len(set(leaves[0, 3000:].tolist())) > 2  # online leaves re-scored after they were sampled
    assert "density" in state["agent"]["optimizers"]

    with pytest.raises(ValueError, match="cannot start from a 'cql_ensemble' run.*sac_ml or cql"):
        run_online("aca", 10, tmp_path / "aca", init=tmp_path / "ens")
    with pytest.raises(ValueError, match="acalib offline --algo cql_ensemble"):
        run_online("br", 10, tmp_path / "scratch", dataset="hopper-random", seeds=[0])


def test_first_epoch_multiplier_adds_updates_in_the_first_window(minari_root, tmp_path):
    """Off2OnRL trains first_epoch_multiplier x 1000 times in its first epoch; here interleaved:
    m updates per environment step up to init_online_window, then one."""
    run_offline("cql_ensemble", "hopper-random", [0], 20, tmp_path / "ens", overrides=SMALL_RUN,
                settings={**FAST, "eval_interval": 20, "checkpoint_interval": 20}, size=3000)
    on = run_online("br", 100, tmp_path / "br", init=tmp_path / "ens", settings=FAST,
                    overrides={**BR_OVERRIDES, "first_epoch_multiplier": 3, "init_online_window": 40})
    assert pd.read_csv(on.metrics_path)["updates"].tolist()[-1] == 40 * 3 + 60
    with pytest.raises(ValueError, match="first_epoch_multiplier must be >= 1, got 0"):
        BRConfig(first_epoch_multiplier=0)


def test_br_from_a_plain_cql_run_says_which_run_to_make(minari_root, tmp_path):
    run_offline("cql", "hopper-random", [0], 5, tmp_path / "cql", size=3000,
                overrides={k: v for k, v in SMALL_RUN.items() if k != "ensemble_size"},
                settings={**FAST, "eval_interval": 5, "checkpoint_interval": 5})
    with pytest.raises(ValueError, match="needs an offline run of cql_ensemble or sac_ml_ensemble.*"
                                         "acalib offline --algo cql_ensemble"):
        run_online("br", 10, tmp_path / "br", init=tmp_path / "cql")


def test_cli_lists_the_new_algorithms(capsys):
    from acalib import cli
    for stage, names in (("offline", ("cql_ensemble", "sac_ml_ensemble")), ("online", ("br",))):
        with pytest.raises(SystemExit):
            cli.main([stage, "--help"])
        out = capsys.readouterr().out
        assert all(n in out for n in names), out
