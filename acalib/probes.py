"""Q versus aligned Q along perturbed actions (paper Fig. 4, 20, 21).

For a state s the policy's action is pi(s) = tanh(mu(s)). Each action dimension i in turn is
swept over [-1, 1] with the others held at pi(s); a point is (x, y) = (a_i - pi(s)_i,
Q(s, a) - Q(s, pi(s))). A point with y > 0 is "over-estimated": the critic prefers an action
the policy does not choose (Fig. 20). Q is the value the actor maximises: min over the
critics of the offline Q, or of the aligned Q = k0 clip(log pi0) + R with R <- Z at the switch.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from .methods import aligned_agent


@torch.no_grad()
def perturbation_values(agent, states: torch.Tensor, points: int = 41) -> tuple[np.ndarray, np.ndarray]:
    """x and y of every perturbed action: arrays of shape (runs, states, act_dim, points).

    ``states`` (runs, n, obs_dim); ``agent.policy_value(obs, action)`` gives Q (runs, m).
    """
    agent.before_update()  # ACA: k at the current step
    runs, n, _ = states.shape
    a_dim = agent.act_dim
    pi = agent.actor.deterministic(states)  # (R, n, A)
    grid = torch.linspace(-1.0, 1.0, points, device=states.device)
    actions = pi[:, :, None, None, :].expand(runs, n, a_dim, points, a_dim).clone()
    dims = torch.arange(a_dim, device=states.device)
    actions[:, :, dims, :, dims] = grid  # dimension i of the i-th sweep takes the grid values
    obs = states[:, :, None, None, :].expand(runs, n, a_dim, points, states.shape[-1])
    q = agent.policy_value(obs.reshape(runs, -1, states.shape[-1]), actions.reshape(runs, -1, a_dim))
    q = q.view(runs, n, a_dim, points)
    q_pi = agent.policy_value(states, pi)  # (R, n)
    x = grid.view(1, 1, 1, points) - pi.unsqueeze(-1)  # (R, n, A, P)
    y = q - q_pi[:, :, None, None]
    return x.cpu().numpy(), y.cpu().numpy()


def sample_states(transitions, n: int, seeds: list[int], device) -> torch.Tensor:
    """``n`` dataset states per seed, drawn without replacement with a seed-fixed generator."""
    out = []
    for seed in seeds:
        rng = np.random.default_rng(seed)
        idx = rng.choice(len(transitions), size=min(n, len(transitions)), replace=False)
        out.append(torch.as_tensor(transitions.observations[idx], dtype=torch.float32))
    return torch.stack(out).to(device)


def q_probe_frame(offline, dataset_name: str, state_sets: dict[str, object], n_states: int,
                  points: int = 41) -> pd.DataFrame:
    """Every probe point of the offline Q and of the aligned Q, for each named state set
    (e.g. {"in-distribution": medium transitions, "out-of-distribution": random transitions})."""
    aligned = aligned_agent(offline, dataset_name)
    frames = []
    for q_name, agent in (("offline Q", offline), ("aligned Q", aligned)):
        for set_name, transitions in state_sets.items():
            states = sample_states(transitions, n_states, offline.seeds, offline.device)
            x, y = perturbation_values(agent, states, points)
            r, n, a, p = x.shape
            index = np.indices((r, n, a, p)).reshape(4, -1)
            frames.append(pd.DataFrame({
                "q": q_name, "states": set_name, "seed": np.asarray(offline.seeds)[index[0]],
                "state": index[1], "dim": index[2], "x": x.reshape(-1), "y": y.reshape(-1)}))
    return pd.concat(frames, ignore_index=True)


def overestimated_fraction(frame: pd.DataFrame) -> pd.DataFrame:
    """Fraction of perturbed actions with Q(s, a) > Q(s, pi(s)), per Q, state set and seed (Fig. 21)."""
    return (frame.assign(over=frame["y"] > 0).groupby(["q", "states", "seed"])["over"].mean()
            .rename("overestimated").reset_index())
