"""CUDA-graph updates equal eager updates (runs where a GPU is present; skipped elsewhere)."""
import pytest
import torch

from acalib.algos import ACA, SAC, SACML, SACConfig, SACMLConfig, aca_config
from acalib.data.buffers import ReplayBuffer

needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


def test_cuda_graph_requires_cuda_device():
    with pytest.raises(ValueError, match="CUDA device"):
        SAC(SACConfig(), 3, 1, [0], "cpu", cuda_graph=True)


@needs_cuda
@pytest.mark.parametrize("algo", ["sac", "sac_ml", "aca"])
def test_graph_replay_matches_eager(transitions, algo):
    cfg = dict(hidden=(64, 64), batch_size=64)
    agents = []
    for graph in (False, True):
        if algo == "sac":
            agent = SAC(SACConfig(**cfg), transitions.obs_dim, transitions.act_dim, [0, 1], "cuda", graph)
        else:
            agent = SACML(SACMLConfig(**cfg), transitions.obs_dim, transitions.act_dim, [0, 1], "cuda", graph)
            if algo == "aca":
                agent = ACA.from_offline(agent, aca_config("medium", base=agent.config, **cfg), graph)
        data = ReplayBuffer.from_transitions(transitions, 2, "cuda")
        for _ in range(20):
            stats = agent.update(data.sample(64, agent.data_generators))
        agents.append((agent, {k: v.clone() for k, v in stats.items()}))
    (eager, s_eager), (graphed, s_graph) = agents
    for (name, a), (_, b) in zip(eager.state_dict().items(), graphed.state_dict().items()):
        torch.testing.assert_close(a, b, atol=1e-4, rtol=1e-4, msg=name)
    for k in s_eager:
        torch.testing.assert_close(s_eager[k], s_graph[k], atol=1e-4, rtol=1e-4, msg=k)


@needs_cuda
def test_cuda_checkpoint_round_trip(tmp_path, transitions):
    """A CUDA agent's checkpoint (generator states included) loads back onto CUDA."""
    from acalib.checkpoint import load_checkpoint, save_checkpoint

    agent = SAC(SACConfig(hidden=(32, 32)), transitions.obs_dim, transitions.act_dim, [0], "cuda", True)
    data = ReplayBuffer.from_transitions(transitions, 1, "cuda")
    agent.update(data.sample(32, agent.data_generators))
    save_checkpoint(tmp_path / "c.pt", agent.state())
    twin = SAC(SACConfig(hidden=(32, 32)), transitions.obs_dim, transitions.act_dim, [0], "cuda", True)
    twin.load_state(load_checkpoint(tmp_path / "c.pt", "cuda"))
    for (n, a), (_, b) in zip(agent.state_dict().items(), twin.state_dict().items()):
        assert torch.equal(a, b), n
