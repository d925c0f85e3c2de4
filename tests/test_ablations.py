"""Ablations and extra experiments (paper Sec. 4, 6.5, App. C-D): burn-in, BC only, R init by Q,
delayed pi, no offline data, actor-only updates, Q probes, and the transfers between methods."""

import numpy as np
import pandas as pd
import pytest
import torch

from acalib.algos import ACA, AWAC, SAC, SACML, aca_config, online_method
from acalib.algos.awac import AWACConfig
from acalib.algos.sac import SACConfig
from acalib.algos.sac_ml import SACMLConfig
from acalib.data.buffers import ReplayBuffer
from acalib.experiment import run_actor_only, run_offline, run_online
from acalib.probes import overestimated_fraction, perturbation_values
from test_agents import train

SMALL = {"hidden": [32, 32], "batch_size": 32}
FAST = {"eval_interval": 50, "eval_episodes": 1, "checkpoint_interval": 50, "progress": False}


def trained_offline(transitions, seeds=(0, 1), n=5):
    agent = SACML(SACMLConfig(hidden=(32, 32), batch_size=16), transitions.obs_dim, transitions.act_dim, list(seeds))
    train(agent, ReplayBuffer.from_transitions(transitions, len(seeds)), n=n)
    return agent


def params(module):
    return [p.detach().clone() for p in module.parameters()]


def same(a, b):
    return all(torch.equal(x, y) for x, y in zip(a, b))


def test_burn_in_trains_only_the_critic_then_everything(transitions):
    agent = SAC(SACConfig(hidden=(32, 32), batch_size=16, burn_in_steps=3), transitions.obs_dim,
                transitions.act_dim, [0, 1])
    data = ReplayBuffer.from_transitions(transitions, 2)
    actor, critic, alpha = params(agent.actor), params(agent.critic), agent.log_alpha.detach().clone()
    burning = train(agent, data, n=3)
    assert same(actor, params(agent.actor)) and torch.equal(alpha, agent.log_alpha.detach())
    assert not same(critic, params(agent.critic))
    after = train(agent, data, n=1)
    assert not same(actor, params(agent.actor)) and not torch.equal(alpha, agent.log_alpha.detach())
    assert "actor_loss" not in burning and {"actor_loss", "temp_loss"} <= after.keys()


def test_bc_only_critic_is_the_sac_critic_step(transitions):
    """BC only (Eq. 23-24): R <- offline Q, then a plain SAC critic step; compare with SAC->SAC
    from the same offline agent, alpha reset to 1 and the target set to R in both, same random streams."""
    off = trained_offline(transitions)
    bc = ACA.from_offline(off, aca_config("medium", base=off.config, batch_size=16, critic_update="sac",
                                          r_init="offline_q"))
    sac = SAC.from_offline(off, SACConfig(hidden=(32, 32), batch_size=16))
    with torch.no_grad():
        sac.log_alpha.zero_()
        sac.critic_target.load_state_dict(sac.critic.state_dict())  # the alignment restarts the target from R
    assert same(params(bc.critic), params(off.critic))  # R initialised by the offline Q
    # one step (afterwards the actors differ); Adam amplifies float rounding in the weights, so compare losses
    bc_stats = train(bc, ReplayBuffer.from_transitions(transitions, 2), n=1)
    sac_stats = train(sac, ReplayBuffer.from_transitions(transitions, 2), n=1)
    torch.testing.assert_close(bc_stats["critic_loss"], sac_stats["critic_loss"], rtol=1e-6, atol=1e-6)
    aligned = ACA.from_offline(off, aca_config("medium", base=off.config, batch_size=16, r_init="offline_q"))
    aligned_stats = train(aligned, ReplayBuffer.from_transitions(transitions, 2), n=1)
    assert not torch.allclose(aligned_stats["critic_loss"], sac_stats["critic_loss"], rtol=1e-3)
    assert not same(params(bc.actor), params(sac.actor))  # the actor still sees log pi0


def test_r_init_by_q_keeps_the_aligned_critic(transitions):
    off = trained_offline(transitions)
    aca = ACA.from_offline(off, aca_config("medium", base=off.config, batch_size=16, r_init="offline_q"))
    obs, act = torch.randn(2, 8, transitions.obs_dim), torch.rand(2, 8, transitions.act_dim) * 2 - 1
    torch.testing.assert_close(aca.critic(obs, act), off.critic(obs, act))
    assert aca.config.critic_update == "aligned"
    with pytest.raises(ValueError, match="unknown r_init 'q'; valid"):
        ACA.from_offline(off, aca_config("medium", base=off.config, r_init="q"))


def test_delayed_reference_follows_the_actor_by_polyak(transitions):
    off = trained_offline(transitions)
    tau = 0.25
    aca = ACA.from_offline(off, aca_config("medium", base=off.config, batch_size=16, reference_tau=tau))
    before = params(aca.reference)
    train(aca, ReplayBuffer.from_transitions(transitions, 2), n=1)
    for ref, old, new in zip(params(aca.reference), before, params(aca.actor)):
        torch.testing.assert_close(ref, (1 - tau) * old + tau * new)
    frozen = ACA.from_offline(off, aca_config("medium", base=off.config, batch_size=16))
    train(frozen, ReplayBuffer.from_transitions(transitions, 2), n=2)
    assert same(params(frozen.reference), params(off.actor))


def test_without_offline_data_beta_grows_beyond_random_and_medium():
    for group, scale in (("random", 1.0), ("medium", 1.0), ("medium-replay", 1.5), ("medium-expert", 1.5),
                         ("expert", 1.5)):
        with_data, without = aca_config(group), aca_config(group, offline_data=False)
        assert without.beta == pytest.approx(scale * with_data.beta) and without.n_trajs == 0
    assert aca_config("expert", offline_data=False, beta=3.0).beta == 3.0  # an explicit beta wins


def test_variants_name_their_presets():
    assert online_method("aca_bc_only") == ("aca", {"critic_update": "sac", "r_init": "offline_q"})
    assert online_method("sac_burn_in")[1] == {"burn_in_steps": 50_000}
    with pytest.raises(ValueError, match="unknown algorithm 'aca_bogus'; valid"):
        online_method("aca_bogus")


@pytest.mark.parametrize("kind", ["sac_ml", "aligned", "awac"])
def test_actor_only_update_moves_the_actor_and_nothing_else(transitions, kind):
    if kind == "awac":
        agent = AWAC(AWACConfig(hidden=(32, 32), batch_size=16), transitions.obs_dim, transitions.act_dim, [0, 1])
    else:
        agent = trained_offline(transitions)
        if kind == "aligned":
            agent = ACA.from_offline(agent, aca_config("medium", base=agent.config, batch_size=16))
    frozen = {name: params(getattr(agent, name)) for name in ("critic", "critic_target")}
    actor = params(agent.actor)
    data = ReplayBuffer.from_transitions(transitions, 2)
    for _ in range(3):
        stats = agent.actor_only_update(data.sample(16, agent.data_generators))
    assert "actor_loss" in stats and "critic_loss" not in stats
    assert not same(actor, params(agent.actor))
    for name, before in frozen.items():
        assert same(before, params(getattr(agent, name))), name


def test_perturbation_values_against_a_loop(transitions):
    off = trained_offline(transitions)
    aca = ACA.from_offline(off, aca_config("medium", base=off.config))
    states = torch.randn(2, 3, transitions.obs_dim)
    for agent in (off, aca):
        x, y = perturbation_values(agent, states, points=5)
        assert x.shape == (2, 3, transitions.act_dim, 5)
        grid = np.linspace(-1, 1, 5)
        with torch.no_grad():
            for r in range(2):
                for s in range(3):
                    pi = agent.actor.deterministic(states[:, s:s + 1])[r, 0]
                    for dim in range(transitions.act_dim):
                        for j, g in enumerate(grid):
                            a = pi.clone()
                            a[dim] = float(g)
                            acts = agent.actor.deterministic(states[:, s:s + 1]).clone()
                            acts[r, 0] = a
                            q = agent.policy_value(states[:, s:s + 1], acts)[r, 0]
                            q_pi = agent.policy_value(states[:, s:s + 1], agent.actor.deterministic(states[:, s:s + 1]))[r, 0]
                            assert x[r, s, dim, j] == pytest.approx(g - float(pi[dim]), abs=1e-6)
                            assert y[r, s, dim, j] == pytest.approx(float(q - q_pi), abs=1e-4)
    frame = pd.DataFrame({"q": "Q", "states": "ood", "seed": [0, 0, 0, 1], "y": [1.0, -1.0, 0.0, 2.0]})
    fractions = overestimated_fraction(frame).set_index("seed")["overestimated"]
    assert fractions[0] == pytest.approx(1 / 3) and fractions[1] == 1.0


def test_transfers_between_methods(minari_root, tmp_path):
    """CQL->SAC and AWAC->AWAC carry every offline transition; a wrong pairing says what to run."""
    settings = {**FAST, "eval_interval": 40}
    run_offline("cql", "hopper-random", [0], 20, tmp_path / "cql", size=3000, settings=FAST,
                overrides={**SMALL, "n_action_samples": 2})
    run_offline("awac", "hopper-random", [0], 20, tmp_path / "awac", size=3000, settings=FAST, overrides=SMALL)
    on = run_online("sac", 40, tmp_path / "cql_sac", init=tmp_path / "cql", settings=settings)
    assert on.config()["buffer_prefill"] == 3000 and on.config()["init_algo"] == "cql"
    on = run_online("awac", 40, tmp_path / "awac_on", init=tmp_path / "awac", settings=settings)
    assert on.config()["hyperparameters"]["lam"] == 1.0 and on.config()["buffer_prefill"] == 3000
    empty = run_online("sac", 40, tmp_path / "no_data", init=tmp_path / "cql", settings=settings, offline_data=False)
    assert empty.config()["buffer_prefill"] == 0
    with pytest.raises(ValueError, match="'awac' cannot start from a 'cql' run.*--algo awac"):
        run_online("awac", 10, tmp_path / "bad", init=tmp_path / "cql")
    with pytest.raises(ValueError, match="'aca' cannot start from a 'awac' run.*sac_ml or cql"):
        run_online("aca", 10, tmp_path / "bad", init=tmp_path / "awac")


def test_actor_only_run_records_the_offline_score_first(minari_root, tmp_path):
    run_offline("sac_ml", "hopper-random", [0, 1], 20, tmp_path / "off", size=3000, settings=FAST, overrides=SMALL)
    runs = {c: run_actor_only(tmp_path / "off", "hopper-random", 30, tmp_path / c, critic=c, size=3000,
                              settings={**FAST, "eval_interval": 15}) for c in ("offline", "aligned")}
    off_last = pd.read_csv(tmp_path / "off" / "metrics.csv").query("step == 20").set_index("seed")["return"]
    for critic, run in runs.items():
        m = pd.read_csv(run.metrics_path)
        assert sorted(m["step"].unique()) == [0, 15, 30] and set(m["stage"]) == {"actor_only"}
        if critic == "offline":  # the same policy as at the end of offline training, same evaluation
            np.testing.assert_allclose(m.query("step == 0").set_index("seed")["return"], off_last)
    with pytest.raises(ValueError, match="unknown critic 'both'; valid"):
        run_actor_only(tmp_path / "off", "hopper-random", 30, tmp_path / "x", critic="both")


def test_cli_actor_only_and_probe(minari_root, tmp_path, capsys):
    from acalib import cli
    run_offline("sac_ml", "hopper-random", [0], 20, tmp_path / "off", size=3000, settings=FAST, overrides=SMALL)
    assert cli.main(["actor-only", "--init", str(tmp_path / "off"), "--dataset", "hopper-random", "--critic",
                     "aligned", "--size", "3000", "--steps", "10", "--eval-interval", "10", "--eval-episodes", "1", "--no-progress",
                     "--out", str(tmp_path / "ao")]) == 0
    assert cli.main(["probe", "--init", str(tmp_path / "off"), "--ood", "hopper-random", "--states", "4", "--size", "3000",
                     "--points", "5", "--out", str(tmp_path / "probe.csv")]) == 0
    frame = pd.read_csv(tmp_path / "probe.csv")
    assert len(frame) == 2 * 2 * 4 * 3 * 5  # Q kinds x state sets x states x action dims x points
    assert "aligned Q" in capsys.readouterr().out
    assert cli.main(["online", "--algo", "awac", "--init", str(tmp_path / "off"), "--steps", "5",
                     "--out", str(tmp_path / "bad")]) == 2
    assert "make one with `acalib offline --algo awac" in capsys.readouterr().err
