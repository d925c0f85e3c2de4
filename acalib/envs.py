"""Gymnasium v5 MuJoCo environments, one per run, stepped in lockstep.

The paper used gym's MuJoCo -v2 tasks through D4RL; acalib uses Gymnasium's -v5 tasks
(MuJoCo 3+), the maintained successors. Scores on -v5 are close to, but not the same as,
-v2 scores, which is why generated datasets carry their own reference scores.
"""
from __future__ import annotations

import contextlib
import warnings

import gymnasium as gym
import numpy as np
import torch

ENVS = {
    "hopper": "Hopper-v5",
    "halfcheetah": "HalfCheetah-v5",
    "walker2d": "Walker2d-v5",
    "ant": "Ant-v5",
    "invertedpendulum": "InvertedPendulum-v5",
    "antdir": "acalib/AntDirection-v1",  # the AntMaze expert's task (acalib/antmaze.py; v0 had a healthy bonus)
    "antmaze": "acalib/AntMaze-v0",  # D4RL's antmaze-umaze(-diverse) evaluation task (acalib/antmaze.py)
}
if ENVS["antdir"] not in gym.registry:
    gym.register(ENVS["antdir"], entry_point="acalib.antmaze:AntDirection", max_episode_steps=1000)
if ENVS["antmaze"] not in gym.registry:  # its 700-step limit is its own (an episode also ends at the goal)
    gym.register(ENVS["antmaze"], entry_point="acalib.antmaze:AntMaze")

# D4RL's reference returns (d4rl/infos.py): REF_MIN_SCORE (random), REF_MAX_SCORE (expert).
D4RL_REF_SCORES = {
    "hopper": (-20.272305, 3234.3),
    "halfcheetah": (-280.178953, 12135.0),
    "walker2d": (1.629008, 4592.3),
    "ant": (-325.6, 3879.7),
    "antmaze": (0.0, 1.0),  # antmaze-umaze(-diverse): a normalized score is 100 x the success rate
}


def env_id(env: str) -> str:
    """'hopper' -> 'Hopper-v5'; a full Gymnasium id is passed through."""
    if env in ENVS:
        return ENVS[env]
    if env in ENVS.values():
        return env
    raise ValueError(f"unknown environment {env!r}; valid: {sorted(ENVS)} (or their ids {sorted(ENVS.values())})")


def make_env(env: str) -> gym.Env:
    """The environment, with actions rescaled to [-1, 1] where its bounds differ (policies are tanh-squashed)."""
    with warnings.catch_warnings():
        # MuJoCo 4 warns about the deprecated 'settotalmass' attribute in Gymnasium's XML files.
        warnings.simplefilter("ignore")
        e = gym.make(env_id(env))
    space = e.action_space
    if not (np.all(space.low == -1.0) and np.all(space.high == 1.0)):
        e = gym.wrappers.RescaleAction(e, -1.0, 1.0)
    return e


@contextlib.contextmanager
def torch_threads(n: int = 1):
    """Run a block with ``n`` torch threads: environment-bound loops evaluate a policy on a handful
    of states per step, where thread start-up costs more than the product (and a busy second core
    made each such call ~50x slower)."""
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def normalized_score(returns, ref_min: float, ref_max: float):
    """D4RL's normalized score: 100 * (R - min) / (max - min). (Minari's helper returns a fraction.)"""
    return 100.0 * (np.asarray(returns, dtype=np.float64) - ref_min) / (ref_max - ref_min)


class EnvBatch:
    """``n`` copies of one environment with automatic reset; time-limit cuts are not terminals."""

    def __init__(self, env: str, n: int, seeds: list[int]):
        if len(seeds) != n:
            raise ValueError(f"need one seed per environment: {n} environments, {len(seeds)} seeds")
        self.envs = [make_env(env) for _ in range(n)]
        self.obs_dim = self.envs[0].observation_space.shape[0]
        self.act_dim = self.envs[0].action_space.shape[0]
        self.obs = np.stack([e.reset(seed=int(s))[0] for e, s in zip(self.envs, seeds)]).astype(np.float32)
        self.episode_return = np.zeros(n)
        self.completed_returns: list[list[float]] = [[] for _ in range(n)]

    def step(self, actions: np.ndarray):
        """Step every environment. Returns (obs, reward, next_obs, terminal, episode_end) arrays;
        ``next_obs`` is the true next state even where the episode ended and was reset."""
        n = len(self.envs)
        obs, next_obs = self.obs.copy(), np.empty_like(self.obs)
        reward, terminal, end = np.zeros(n, np.float32), np.zeros(n, bool), np.zeros(n, bool)
        for i, (e, a) in enumerate(zip(self.envs, actions)):
            o2, r, term, trunc, _ = e.step(a)
            next_obs[i], reward[i], terminal[i], end[i] = o2, r, term, term or trunc
            self.episode_return[i] += r
            if end[i]:
                self.completed_returns[i].append(float(self.episode_return[i]))
                self.episode_return[i] = 0.0
                o2, _ = e.reset()
            self.obs[i] = o2
        return obs, reward, next_obs, terminal, end

    def close(self):
        for e in self.envs:
            e.close()
