import pytest
import torch

from acalib.algos import AWAC, TD3BC, AWACConfig, TD3BCConfig
from acalib.data.buffers import ReplayBuffer
from acalib import losses
from test_agents import assert_run_matches, train


def test_awac_weights_and_loss():
    q = torch.tensor([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    v = torch.tensor([[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]])
    w = losses.awac.awac_weights(q, v, lam=2.0)
    e = torch.exp(torch.tensor([0.0, 0.5, 1.0]))
    torch.testing.assert_close(w[0], 3 * e / e.sum())
    torch.testing.assert_close(w[1], torch.ones(3))  # equal advantages: weight 1 each
    lp = torch.tensor([[-1.0, -2.0, -3.0], [-1.0, -1.0, -1.0]])
    torch.testing.assert_close(losses.awac.awac_actor_loss(lp, w), -(lp * w).sum(-1))


def test_td3bc_actor_loss_and_smoothing():
    q = torch.tensor([[2.0, -4.0]])
    a = torch.tensor([[[0.5, 0.0], [0.0, 0.0]]])
    a_data = torch.tensor([[[0.0, 0.0], [0.0, 1.0]]])
    loss, lam = losses.td3_bc.td3bc_actor_loss(q, a, a_data, alpha=2.5)
    assert lam.item() == pytest.approx(2.5 / 3.0)
    assert loss.item() == pytest.approx(-2.5 / 3.0 * (-1.0) + (0.25 + 1.0) / 4)
    smoothed = losses.td3_bc.smoothed_target_action(torch.tensor([0.9, -0.2, 0.0]), torch.tensor([10.0, -1.0, 0.5]))
    torch.testing.assert_close(smoothed, torch.tensor([1.0, -0.4, 0.1]))  # noise clipped to 0.5, action to 1


@pytest.mark.parametrize("cls,config", [(AWAC, AWACConfig(hidden=(32, 32), batch_size=16)),
                                        (TD3BC, TD3BCConfig(hidden=(32, 32), batch_size=16))])
def test_batched_seeds_match_single_seed(transitions, cls, config):
    many = cls(config, transitions.obs_dim, transitions.act_dim, [1, 2, 3])
    one = cls(config, transitions.obs_dim, transitions.act_dim, [3])
    for agent in (many, one):
        if hasattr(agent, "fit_normalizer"):
            agent.fit_normalizer(transitions)
        train(agent, ReplayBuffer.from_transitions(transitions, agent.runs))
    assert_run_matches(many, 2, one)


def test_td3bc_updates_its_actor_every_second_step(transitions):
    agent = TD3BC(TD3BCConfig(hidden=(32, 32), batch_size=16), transitions.obs_dim, transitions.act_dim, [0])
    agent.fit_normalizer(transitions)
    torch.testing.assert_close(agent.obs_mean, torch.as_tensor(transitions.observations.mean(0)))
    data = ReplayBuffer.from_transitions(transitions, 1)
    snapshots = []
    for _ in range(3):
        agent.update(data.sample(16, agent.data_generators))
        snapshots.append(agent.actor.net.weights[0].detach().clone())
    assert torch.equal(snapshots[0], snapshots[1]) and not torch.equal(snapshots[1], snapshots[2])
    with pytest.raises(ValueError, match="without --cuda-graph"):
        TD3BC(TD3BCConfig(), 3, 1, [0], "cpu", cuda_graph=True)


def test_awac_has_no_temperature_step_and_decays_actor_weights(transitions):
    agent = AWAC(AWACConfig(hidden=(32, 32), batch_size=16), transitions.obs_dim, transitions.act_dim, [0])
    assert "temperature" not in agent.optimizers
    assert agent.optimizers["actor"].param_groups[0]["weight_decay"] == 1e-4
    train(agent, ReplayBuffer.from_transitions(transitions, 1), n=3)
    assert agent.alpha.item() == pytest.approx(1e-20)
