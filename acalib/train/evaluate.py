"""Deterministic evaluation: ``episodes`` full episodes per run with the action tanh(mu)
(d3rlpy ``evaluate_on_environment``, 10 episodes in the paper), all runs and episodes
stepped together so the policy is evaluated in one batched forward pass per step."""
from __future__ import annotations

import numpy as np
import torch

from .. import seeding
from ..envs import make_env, torch_threads


class Evaluator:
    def __init__(self, env: str, seeds: list[int], episodes: int = 10):
        if episodes < 1:
            raise ValueError(f"evaluation episodes must be >= 1, got {episodes}")
        self.seeds, self.episodes = list(seeds), episodes
        self.envs = [[make_env(env) for _ in range(episodes)] for _ in seeds]
        self.obs_dim = self.envs[0][0].observation_space.shape[0]
        self.rounds = 0

    def reset_seed(self, run: int, episode: int) -> int:
        """A distinct, reproducible reset seed per (seed, evaluation round, episode)."""
        return seeding.stream_seed(self.seeds[run], "eval") * 1_000_003 + self.rounds * 1000 + episode

    @torch.no_grad()
    def __call__(self, agent) -> np.ndarray:
        """Undiscounted returns, shape (runs, episodes)."""
        with torch_threads(1):
            return self._run(agent)

    def _run(self, agent) -> np.ndarray:
        runs, eps = len(self.seeds), self.episodes
        obs = np.zeros((runs, eps, self.obs_dim), np.float32)
        for r in range(runs):
            for e in range(eps):
                obs[r, e] = self.envs[r][e].reset(seed=self.reset_seed(r, e))[0]
        returns = np.zeros((runs, eps))
        alive = np.ones((runs, eps), bool)
        while alive.any():
            actions = agent.act(torch.as_tensor(obs, device=agent.device), deterministic=True).cpu().numpy()
            for r, e in zip(*np.nonzero(alive)):
                o, rew, term, trunc, _ = self.envs[r][e].step(actions[r, e])
                obs[r, e] = o
                returns[r, e] += rew
                alive[r, e] = not (term or trunc)
        self.rounds += 1
        return returns

    def close(self):
        for row in self.envs:
            for e in row:
                e.close()
