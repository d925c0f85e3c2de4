import numpy as np
import pytest
import torch

from acalib.algos import ACA, SAC, SACML, SACConfig, SACMLConfig, aca_config
from acalib.data.buffers import ReplayBuffer, top_n_episodes
from acalib.checkpoint import load_checkpoint, save_checkpoint

SMALL = dict(hidden=(64, 64), batch_size=32)


def run_slice(agent, run: int) -> dict[str, torch.Tensor]:
    """Every parameter of one run (leading axis = runs * members per run)."""
    out = {}
    for name, p in agent.named_parameters():
        m = p.shape[0] // agent.runs
        out[name] = p.detach()[run * m:(run + 1) * m]
    return out


def train(agent, buffer, n=10):
    for _ in range(n):
        stats = agent.update(buffer.sample(agent.config.batch_size, agent.data_generators))
    return stats


def offline_pair(transitions, cls=SACML, config=SACMLConfig(**SMALL)):
    d = transitions
    many = cls(config, d.obs_dim, d.act_dim, [1, 2, 3])
    one = cls(config, d.obs_dim, d.act_dim, [3])
    return many, one


def assert_run_matches(many, run, one):
    a, b = run_slice(many, run), run_slice(one, 0)
    assert a.keys() == b.keys()
    for name in a:
        torch.testing.assert_close(a[name], b[name], atol=1e-4, rtol=1e-4, msg=f"parameter {name}")


@pytest.mark.parametrize("cls,config", [(SAC, SACConfig(**SMALL)), (SACML, SACMLConfig(**SMALL))])
def test_batched_seeds_match_single_seed(transitions, cls, config):
    many, one = offline_pair(transitions, cls, config)
    data = ReplayBuffer.from_transitions(transitions, 3)
    train(many, data)
    train(one, ReplayBuffer.from_transitions(transitions, 1))
    assert_run_matches(many, 2, one)
    # and the runs really differ from each other
    assert not torch.allclose(run_slice(many, 0)["actor.net.weights.0"], run_slice(many, 2)["actor.net.weights.0"])


def test_aca_batched_seeds_match_single_seed(transitions):
    many, one = offline_pair(transitions)
    train(many, ReplayBuffer.from_transitions(transitions, 3))
    train(one, ReplayBuffer.from_transitions(transitions, 1))
    config = aca_config("medium-replay", base=many.config, batch_size=32)
    online = []
    for off in (many, one):
        agent = ACA.from_offline(off, config)
        buf = ReplayBuffer(off.runs, 5000, transitions.obs_dim, transitions.act_dim)
        buf.extend(top_n_episodes(transitions, config.n_trajs))
        train(agent, buf)
        online.append(agent)
    assert_run_matches(online[0], 2, online[1])


def test_alignment_switch(transitions):
    """At the switch: R == Z, pi == pi0 (frozen), alpha == 1, k == k0, offline critics discarded."""
    off = SACML(SACMLConfig(**SMALL), transitions.obs_dim, transitions.act_dim, [0, 1])
    train(off, ReplayBuffer.from_transitions(transitions, 2), n=5)
    aca = ACA.from_offline(off, aca_config("medium", base=off.config, batch_size=32))
    obs = torch.randn(2, 50, transitions.obs_dim)
    action = torch.rand(2, 50, transitions.act_dim) * 2 - 1
    assert torch.equal(aca.critic(obs, action), off.baseline(obs))
    assert torch.equal(aca.critic_target(obs, action), off.baseline(obs))
    assert torch.equal(aca.alpha, torch.ones(2))
    assert aca.k == 1.0
    assert not any(p.requires_grad for p in aca.reference.parameters())
    torch.testing.assert_close(aca.reference.distribution(obs), off.actor.distribution(obs))
    before = [p.clone() for p in aca.reference.parameters()]
    train(aca, ReplayBuffer.from_transitions(transitions, 2), n=3)
    assert all(torch.equal(a, b) for a, b in zip(before, aca.reference.parameters()))
    assert aca.k == pytest.approx(1 - 3 / 40_000)
    # Adam state carried over from offline (official d3rlpy load_model behaviour)
    assert aca.optimizers["actor"].state_dict()["state"][0]["step"].item() == 5 + 3


def test_aca_config_overrides_are_checked(transitions):
    assert aca_config("medium", beta=3.0).beta == 3.0
    with pytest.raises(ValueError, match="unknown ACAConfig fields \\['wobble'\\]"):
        aca_config("medium", wobble=1)
    off = SACML(SACMLConfig(**SMALL), transitions.obs_dim, transitions.act_dim, [0])
    with pytest.raises(ValueError, match="offline run's sizes"):
        ACA.from_offline(off, aca_config("medium", base=off.config, hidden=[32, 32]))


def test_aca_needs_a_baseline(transitions):
    sac = SAC(SACConfig(**SMALL), transitions.obs_dim, transitions.act_dim, [0])
    with pytest.raises(ValueError, match="Z\\(s\\) baseline"):
        ACA.from_offline(sac, aca_config("medium"))


def test_checkpoint_round_trip(tmp_path, transitions):
    agent = SACML(SACMLConfig(**SMALL), transitions.obs_dim, transitions.act_dim, [0, 1])
    data = ReplayBuffer.from_transitions(transitions, 2)
    train(agent, data, n=3)
    save_checkpoint(tmp_path / "c.pt", agent.state())
    twin = SACML(SACMLConfig(**SMALL), transitions.obs_dim, transitions.act_dim, [0, 1])
    twin.load_state(load_checkpoint(tmp_path / "c.pt"))
    for (n, a), (_, b) in zip(agent.state_dict().items(), twin.state_dict().items()):
        assert torch.equal(a, b), n
    # same future: optimiser states and random streams came back too
    train(agent, data, n=3)
    train(twin, data, n=3)
    for (n, a), (_, b) in zip(agent.state_dict().items(), twin.state_dict().items()):
        assert torch.equal(a, b), n


def test_checkpoint_shape_mismatch_names_both_shapes(tmp_path, transitions):
    agent = SAC(SACConfig(**SMALL), transitions.obs_dim, transitions.act_dim, [0])
    other = SAC(SACConfig(**SMALL), 17, 6, [0])
    with pytest.raises(ValueError, match=r"\(11, 3\).*\(17, 6\)"):
        other.load_state(agent.state())


def test_corrupt_checkpoint_is_reported(tmp_path):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="bad.pt"):
        load_checkpoint(bad)
    with pytest.raises(FileNotFoundError, match="missing.pt"):
        load_checkpoint(tmp_path / "missing.pt")


def test_buffer_sampling_and_fifo(transitions):
    buf = ReplayBuffer(2, 100, transitions.obs_dim, transitions.act_dim)
    for i in range(150):
        o = np.full((2, transitions.obs_dim), i, np.float32)
        buf.add(o, np.zeros((2, transitions.act_dim)), np.array([i, -i]), o + 1, np.zeros(2), np.zeros(2))
    assert len(buf) == 100
    gens = [torch.Generator().manual_seed(s) for s in (0, 1)]
    batch = buf.sample(500, gens)
    assert batch.obs.shape == (2, 500, transitions.obs_dim)
    assert batch.rewards[0].min() >= 50 and batch.rewards[0].max() <= 149  # oldest 50 were overwritten
    torch.testing.assert_close(batch.rewards[1], -batch.rewards[0] * 0 - batch.obs[1, :, 0])  # run 1 stores -i
    torch.testing.assert_close(batch.next_obs, batch.obs + 1)


def test_top_n_episodes(transitions):
    returns = transitions.episode_returns()
    top = top_n_episodes(transitions, 5)
    assert len(top) == 5 * 50
    got = top.episode_returns()
    np.testing.assert_allclose(got, np.sort(returns)[-5:], rtol=1e-6)  # ascending, as the official code
    assert len(top_n_episodes(transitions, 0)) == 0
    assert len(top_n_episodes(transitions, 10_000)) == len(transitions)


def test_buffer_prefix_is_shared_evicted_first_and_not_checkpointed(transitions):
    prefix = transitions.take(np.arange(100))
    buf = ReplayBuffer(2, 150, transitions.obs_dim, transitions.act_dim, prefix=prefix, max_added=80)
    assert len(buf) == 100 and buf.data.shape[1] == 80  # storage only for what will be added
    for i in range(80):
        o = np.full((2, transitions.obs_dim), 1000 + i, np.float32)
        buf.add(o, np.zeros((2, transitions.act_dim)), np.array([1e4 + i, 2e4 + i]), o, np.zeros(2), np.zeros(2))
    assert len(buf) == 150 and buf.prefix_start == 30  # FIFO of 150: the 30 oldest prefix rows are gone
    gens = [torch.Generator().manual_seed(s) for s in (0, 1)]
    r = buf.sample(4000, gens).rewards
    kept = set(np.round(prefix.rewards[30:], 4).tolist())
    from_prefix = r[0] < 1e4
    assert set(np.round(r[0][from_prefix].numpy(), 4).tolist()) <= kept
    assert from_prefix.float().mean().item() == pytest.approx(70 / 150, abs=0.03)
    online_1 = r[1][r[1] >= 1e4]
    assert set(online_1.tolist()) <= {2e4 + i for i in range(80)}  # run 1 sees only its own online data
    state = buf.state()
    assert state["data"].shape == (2, 80, buf.width) and state["prefix"] == 100
    twin = ReplayBuffer(2, 150, transitions.obs_dim, transitions.act_dim, prefix=prefix, max_added=80)
    twin.load_state(state)
    assert len(twin) == 150 and twin.prefix_start == 30
    g1, g2 = ([torch.Generator().manual_seed(s) for s in (5, 6)] for _ in range(2))
    assert torch.equal(twin.sample(64, g1).obs, buf.sample(64, g2).obs)


@pytest.mark.parametrize("layout", ["shared", "per_run", "per_run_with_prefix"])
def test_sampled_rows_are_the_stored_rows_of_the_drawn_indices(transitions, layout):
    """The minibatch gather against plain advanced indexing of the same draws."""
    from acalib import seeding

    n, runs = len(transitions), 3
    if layout == "shared":
        buf = ReplayBuffer.from_transitions(transitions, runs, "cpu")
    else:
        prefix = transitions.take(np.arange(50)) if layout == "per_run_with_prefix" else None
        buf = ReplayBuffer(runs, n, transitions.obs_dim, transitions.act_dim, prefix=prefix, max_added=200)
        for i in range(200):
            row = [i, (i + 7) % n, (i + 13) % n]
            buf.add(transitions.observations[row], transitions.actions[row], transitions.rewards[row],
                    transitions.next_observations[row], transitions.terminals[row], transitions.timeouts[row])
    gens = seeding.generators([0, 1, 2], "data")
    twins = seeding.generators([0, 1, 2], "data")
    batch = buf.sample(64, gens)
    idx = seeding.randint(twins, len(buf), 64, "cpu")  # the same draws
    n_prefix = len(buf.prefix) - buf.prefix_start
    if buf.shared:
        expected = buf.data[0][idx]
    else:
        expected = buf.data[torch.arange(runs)[:, None], (idx - n_prefix).clamp(min=0)]
        if n_prefix:
            from_prefix = buf.prefix[(buf.prefix_start + idx).clamp(max=len(buf.prefix) - 1)]
            expected = torch.where((idx < n_prefix).unsqueeze(-1), from_prefix, expected)
    for got, want in zip(batch, buf.rows_to_batch(expected)):
        assert torch.equal(got, want)
    if layout == "per_run_with_prefix":
        assert (idx < n_prefix).any() and (idx >= n_prefix).any()  # both sources drawn
