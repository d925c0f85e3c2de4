"""AntMaze as D4RL's tasks, on Gymnasium-Robotics' maze (``AntMaze_UMaze-v5``), with no download.

D4RL's antmaze-umaze(-diverse) (``d4rl/locomotion``: ``maze_env.U_MAZE_TEST``, ``ant.AntMazeEnv``), rebuilt:

- the maze: D4RL's U map, cells 4 m, in D4RL's coordinates: the start cell (row 1, column 1) at the origin,
  x = 4 (column - 1), y = 4 (row - 1). Gymnasium-Robotics lays rows top to bottom (y falls with the row), so
  the map it is given is D4RL's with its rows reversed, and positions are shifted by the start cell's centre:
  the same maze, not a mirrored one;
- observations: D4RL's 29-D ``qpos[:15] ++ qvel[:14]`` (the ant's x, y first; no contact forces, no goal);
- reset: the ant at the start cell's centre, its joints and position + U(-0.1, 0.1), velocities + 0.1 N(0, 1);
- the goal: the goal cell's centre + U(0, 1) + U(0, 0.5) per axis (D4RL's ``goal_sampler``), drawn at every
  reset (D4RL's -v2 evaluation);
- reward 1 within ``GOAL_RADIUS`` (0.5) of the goal, else 0; an evaluation episode ends there (success) or after
  ``EVAL_STEPS`` (700); normalized score = 100 x success rate (reference scores 0 and 1).

``umaze`` and ``umaze-diverse`` share the evaluation task; they differ in how their data were collected
(``DataTask``). D4RL's generator (``scripts/generation/generate_ant_maze_datasets.py``) steers a goal-reaching ant
through the maze: the next waypoint on a breadth-first path over cells (``next_waypoint``), its direction given
to the policy (scaled to norm 10), Gaussian action noise 0.2, episodes of 1000 steps that do not end at the goal;
``umaze-diverse`` starts each episode in a random free cell (+ U(0, 1) per axis) — its map marks one goal cell, so
the goal is drawn from that cell as in ``umaze``. acalib's locomotion policy is a SAC expert of ``AntDirection``
(Ant-v5 rewarded only for its velocity along a unit direction that is redrawn every 100 steps, the direction in
its observation; OGBench's recipe), trained by ``acalib zoo train --env antdir``; ``collect`` runs the generator.
"""
from __future__ import annotations

import warnings
from collections import deque
from dataclasses import dataclass

import gymnasium as gym
import numpy as np

R, G = "r", "g"
U_MAZE = ((1, 1, 1, 1, 1),
          (1, R, 0, 0, 1),
          (1, 1, 1, 0, 1),
          (1, G, 0, 0, 1),
          (1, 1, 1, 1, 1))
SCALE = 4.0  # metres per cell (D4RL's maze_size_scaling)
GOAL_RADIUS = 0.5
EVAL_STEPS = 700
OBS_DIM, ACT_DIM = 29, 8
REF_SCORES = (0.0, 1.0)  # D4RL's antmaze reference scores: a normalized score is 100 x the success rate


@dataclass(frozen=True)
class DataTask:
    """How one dataset's episodes are collected: from the start to the goal cell, or between random cells."""
    maze: tuple
    random_start_and_goal: bool


TASKS = {"umaze": DataTask(U_MAZE, False), "umaze-diverse": DataTask(U_MAZE, True)}


def task(name: str) -> DataTask:
    if name not in TASKS:
        raise ValueError(f"unknown AntMaze task {name!r}; valid: {sorted(TASKS)}")
    return TASKS[name]


def free_cells(maze) -> list[tuple[int, int]]:
    return [(r, c) for r, row in enumerate(maze) for c, cell in enumerate(row) if cell != 1]


def marked_cell(maze, mark: str) -> tuple[int, int]:
    return next((r, c) for r, row in enumerate(maze) for c, cell in enumerate(row) if cell == mark)


def cell_center(maze, cell: tuple[int, int]) -> np.ndarray:
    """D4RL's coordinates of a cell's centre: the start cell at the origin."""
    r0, c0 = marked_cell(maze, R)
    return np.array([(cell[1] - c0) * SCALE, (cell[0] - r0) * SCALE])


def cell_of(maze, xy) -> tuple[int, int]:
    """The cell holding the point ``xy`` (D4RL coordinates)."""
    r0, c0 = marked_cell(maze, R)
    return int(np.floor(xy[1] / SCALE + 0.5)) + r0, int(np.floor(xy[0] / SCALE + 0.5)) + c0


def sample_goal(maze, rng: np.random.Generator, cell: tuple[int, int] | None = None) -> np.ndarray:
    """D4RL's goal: the goal cell's (or ``cell``'s) centre + U(0, 1) + U(0, 0.5) on each axis."""
    centre = cell_center(maze, cell or marked_cell(maze, G))
    return centre + rng.uniform(0, 0.25 * SCALE, 2) + rng.uniform(0, 0.5, 2) * 0.25 * SCALE


def cell_distances(maze, target: tuple[int, int]) -> dict[tuple[int, int], int]:
    """Cells a shortest path over free cells crosses from each free cell to ``target`` (breadth-first search)."""
    free = set(free_cells(maze))
    distance, queue = {target: 0}, deque([target])
    while queue:
        cell = queue.popleft()
        for step in NEIGHBOURS:
            nxt = (cell[0] + step[0], cell[1] + step[1])
            if nxt in free and nxt not in distance:
                distance[nxt] = distance[cell] + 1
                queue.append(nxt)
    return distance


NEIGHBOURS = ((0, 1), (0, -1), (1, 0), (-1, 0))


def next_waypoint(maze, xy, goal) -> np.ndarray:
    """Where to head from ``xy`` towards ``goal``: the goal itself when it is in the same cell, else the centre of
    the next cell on a shortest path over free cells (``cell_distances`` from the goal's cell)."""
    here, target = cell_of(maze, xy), cell_of(maze, goal)
    free = set(free_cells(maze))
    if here == target:
        return np.asarray(goal, dtype=float)
    if here not in free or target not in free:
        raise ValueError(f"no path: {xy} is in cell {here} and the goal {goal} in {target}; free cells: "
                         f"{sorted(free)}")
    distance = cell_distances(maze, target)
    if here not in distance:
        raise ValueError(f"no path from cell {here} to cell {target} in the maze")
    cell = next(c for c in ((here[0] + d[0], here[1] + d[1]) for d in NEIGHBOURS)
                if distance.get(c) == distance[here] - 1)
    return cell_center(maze, cell) if cell != target else np.asarray(goal, dtype=float)


class AntMaze(gym.Env):
    """D4RL's antmaze evaluation task (module docstring) as a Gymnasium environment with 29-D observations.
    ``ends_at_goal=False``: as D4RL's data collection, an episode goes on past the goal (only the time limit ends it).
    ``reset(options={"start_cell": (row, col)})`` starts in that free cell, + U(0, 1) per axis (D4RL's multi-start)."""

    metadata = {"render_modes": []}

    def __init__(self, maze=U_MAZE, max_episode_steps: int = EVAL_STEPS, ends_at_goal: bool = True):
        import gymnasium_robotics  # noqa: F401 -- registers AntMaze_UMaze-v5

        self.maze = maze
        gym_map = [[{R: "r", G: "g"}.get(cell, cell) for cell in row] for row in reversed(maze)]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.inner = gym.make("AntMaze_UMaze-v5", maze_map=gym_map, continuing_task=True, reset_target=False,
                                  max_episode_steps=None).unwrapped
        start = self.inner.maze.cell_rowcol_to_xy(np.array([len(maze) - 1 - marked_cell(maze, R)[0],
                                                            marked_cell(maze, R)[1]]))
        self.start = np.asarray(start, dtype=float)
        self.offset = -self.start  # Gymnasium-Robotics' xy + offset = D4RL's xy
        self.max_episode_steps, self.ends_at_goal = max_episode_steps, ends_at_goal
        self.observation_space = gym.spaces.Box(-np.inf, np.inf, (OBS_DIM,), np.float64)
        self.action_space = self.inner.action_space
        self.goal = np.zeros(2)
        self.t = 0

    def _obs(self) -> np.ndarray:
        data = self.inner.ant_env.data
        qpos = data.qpos[:15].copy()
        qpos[:2] += self.offset
        return np.concatenate([qpos, data.qvel[:14]])

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        self.inner.reset(seed=None if seed is None else int(self.np_random.integers(2**31)))
        # Gymnasium-Robotics puts the ant within +-1 m of the start cell's centre; D4RL within +-0.1 m
        ant = self.inner.ant_env
        qpos, qvel = ant.data.qpos.copy(), ant.data.qvel.copy()
        start_cell = (options or {}).get("start_cell")
        if start_cell is None:
            qpos[:2] = self.start + self.np_random.uniform(-0.1, 0.1, 2)
        else:
            if tuple(start_cell) not in free_cells(self.maze):
                raise ValueError(f"start cell {tuple(start_cell)} is a wall; free cells: {free_cells(self.maze)}")
            qpos[:2] = cell_center(self.maze, start_cell) + self.np_random.uniform(0, 1, 2) - self.offset
        ant.set_state(qpos, qvel)
        self.goal = sample_goal(self.maze, self.np_random)
        self.t = 0
        obs = self._obs()
        return obs, {"goal": self.goal.copy(), "success": False}

    def step(self, action):
        self.inner.ant_env.step(np.asarray(action, dtype=np.float64))
        self.t += 1
        obs = self._obs()
        success = bool(np.linalg.norm(obs[:2] - self.goal) <= GOAL_RADIUS)
        return (obs, float(success), success and self.ends_at_goal, self.t >= self.max_episode_steps,
                {"goal": self.goal.copy(), "success": success})

    def close(self):
        self.inner.close()


def gymnasium_robotics_offset(maze_map, scaling: float = SCALE) -> np.ndarray:
    """What to add to an xy of Gymnasium-Robotics' maze frame (centred, rows top to bottom) on ``maze_map`` to have
    D4RL's coordinates, when ``maze_map`` lays out D4RL's U maze as ``AntMaze`` does (``U_MAZE``'s rows reversed; the
    cells' marks do not matter: Minari's umaze-diverse map marks none). Any other layout or cell size is refused
    (Minari's umaze evaluation map, for one, is the mirror image: a policy learned there would turn the wrong way)."""
    walls = [[cell == 1 for cell in row] for row in maze_map]
    if walls != [[cell == 1 for cell in row] for row in reversed(U_MAZE)] or float(scaling) != SCALE:
        raise ValueError(f"maze map {maze_map} (cells of {scaling} m) is not D4RL's U maze in Gymnasium-Robotics' "
                         f"frame; valid: {[list(row) for row in reversed(U_MAZE)]} (cells of {SCALE} m, any marks)")
    height, width = len(maze_map), len(maze_map[0])
    row, col = height - 1 - marked_cell(U_MAZE, R)[0], marked_cell(U_MAZE, R)[1]  # D4RL's origin, the start cell
    return -np.array([(col + 0.5) * SCALE - width * SCALE / 2, height * SCALE / 2 - (row + 0.5) * SCALE])


def from_gymnasium_robotics(observation: np.ndarray, achieved_goal: np.ndarray, offset: np.ndarray) -> np.ndarray:
    """Gymnasium-Robotics' AntMaze observations (its dict's 27-D ``observation``, ``qpos[2:15] ++ qvel[:14]``, and
    ``achieved_goal``, the torso's xy in its frame) as D4RL's 29-D ``qpos[:15] ++ qvel[:14]`` in D4RL's frame."""
    observation, achieved_goal = np.asarray(observation), np.asarray(achieved_goal)
    if observation.ndim != 2 or observation.shape[1] != OBS_DIM - 2 or achieved_goal.shape != (len(observation), 2):
        raise ValueError(f"AntMaze observations of shape {observation.shape} with achieved goals of shape "
                         f"{achieved_goal.shape}; valid: (n, {OBS_DIM - 2}) (no contact forces) and (n, 2)")
    return np.concatenate([achieved_goal + offset, observation], axis=1)


DIRECTION_STEPS = 100  # AntDirection redraws its direction this often
DIRECTION_SCALE = 10.0  # the direction in a goal-reaching policy's observation has this norm (D4RL's generator)


class AntDirection(gym.Env):
    """Ant-v5 (no contact forces in the observation) rewarded for its velocity along a unit direction d, redrawn
    uniformly on the circle at reset and every ``DIRECTION_STEPS`` steps: reward = v_xy . d and nothing else
    (OGBench's directional reward, its displacement along d per step, divided by the step's 0.05 s so that it reads
    in m/s as Ant-v5's forward reward does); it ends as Ant-v5 does (unhealthy: torso height outside [0.2, 1]).
    Observation: the ant's 27-D state (``qpos[2:15] ++ qvel[:14]``, as in the maze) ++ ``DIRECTION_SCALE`` d: what
    ``collect`` feeds it in the maze.

    No healthy bonus and no control or contact costs: with Ant-v5's (+1 per step alive), the first expert
    (400k steps) learned to stand — 0.16 m/s along d, a return of 805 against 901 for standing still — and never
    reached the goal of the U maze (0 of 50 episodes; README, AntMaze). Ant-v5's terms stay in ``info``."""

    metadata = {"render_modes": []}

    def __init__(self):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.ant = gym.make("Ant-v5", include_cfrc_ext_in_observation=False, max_episode_steps=None).unwrapped
        self.observation_space = gym.spaces.Box(-np.inf, np.inf, (OBS_DIM,), np.float64)
        self.action_space = self.ant.action_space
        self.direction = np.array([1.0, 0.0])
        self.t = 0

    def _draw(self) -> None:
        angle = self.np_random.uniform(0, 2 * np.pi)
        self.direction = np.array([np.cos(angle), np.sin(angle)])

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        obs, info = self.ant.reset(seed=None if seed is None else int(self.np_random.integers(2**31)))
        self._draw()
        self.t = 0
        return np.concatenate([obs, DIRECTION_SCALE * self.direction]), info

    def step(self, action):
        obs, _, terminated, truncated, info = self.ant.step(action)
        velocity = np.array([info["x_velocity"], info["y_velocity"]])
        reward = float(velocity @ self.direction)
        info = {**info, "reward_direction": reward, "direction": self.direction.copy()}
        self.t += 1
        if self.t % DIRECTION_STEPS == 0:
            self._draw()
        return np.concatenate([obs, DIRECTION_SCALE * self.direction]), reward, terminated, truncated, info

    def close(self):
        self.ant.close()


def steering_input(obs: np.ndarray, waypoint: np.ndarray) -> np.ndarray:
    """A goal-reaching policy's input in the maze: the ant's state without x, y ++ the waypoint's direction, scaled
    to norm ``DIRECTION_SCALE`` (D4RL's generator)."""
    heading = np.asarray(waypoint, dtype=float) - obs[:2]
    return np.concatenate([obs[2:], DIRECTION_SCALE * heading / max(np.linalg.norm(heading), 1e-8)])


def collect(name: str, policy, n_transitions: int, seed: int = 0, noise: float = 0.2,
            max_episode_steps: int = 1000):
    """D4RL's antmaze generator (module docstring) for task ``name`` with the goal-reaching ``policy`` (29-D
    steering input -> action in [-1, 1]): ``n_transitions`` transitions, with D4RL's sparse reward, no terminals
    and a time-out every ``max_episode_steps``. Returns (``Transitions``, successes, episodes)."""
    from .data.buffers import Transitions

    spec = task(name)
    rng = np.random.default_rng(seed)
    env = AntMaze(spec.maze, max_episode_steps=max_episode_steps, ends_at_goal=False)
    fields = {k: [] for k in ("observations", "actions", "rewards", "next_observations", "timeouts")}
    successes = episodes = 0

    def start():
        cells = free_cells(spec.maze)
        cell = cells[rng.integers(len(cells))] if spec.random_start_and_goal else None
        return env.reset(seed=int(rng.integers(2**31)), options={"start_cell": cell})[0], False

    obs, reached = start()
    while len(fields["actions"]) < n_transitions:
        action = np.asarray(policy(steering_input(obs, next_waypoint(spec.maze, obs[:2], env.goal))), dtype=float)
        action = np.clip(action + noise * rng.standard_normal(action.shape), -1.0, 1.0)
        next_obs, reward, _, timeout, info = env.step(action)
        for key, value in zip(fields, (obs, action, reward, next_obs, timeout)):
            fields[key].append(value)
        reached |= info["success"]
        obs = next_obs
        if timeout:
            successes, episodes = successes + reached, episodes + 1
            obs, reached = start()
    env.close()
    n = len(fields["actions"])
    fields["timeouts"][-1] = True  # the last episode is cut where the data end
    data = Transitions(np.array(fields["observations"]), np.array(fields["actions"]), np.array(fields["rewards"]),
                       np.array(fields["next_observations"]), np.zeros(n, bool), np.array(fields["timeouts"]))
    return data, successes, episodes


def goal_statistics(data) -> dict:
    """How often an AntMaze dataset's episodes (``Transitions.episode_bounds``: cut at time-outs) reach the goal (a
    reward > 0 anywhere in the episode), and the share of rewarded transitions; the same count on a generated
    dataset and on D4RL's files, to compare the two."""
    bounds = data.episode_bounds()
    reached = sum(bool((data.rewards[s:e] > 0).any()) for s, e in bounds)
    return {"transitions": len(data), "episodes": len(bounds), "episodes_reaching_goal": reached,
            "share_reaching_goal": reached / len(bounds) if bounds else float("nan"),
            "share_of_rewarded_transitions": float((data.rewards > 0).mean()) if len(data) else float("nan")}


HEALTHY_Z = (0.2, 1.0)  # Ant-v5's healthy torso heights: an ant outside them has fallen (AntDirection ends there)


def cells_to_goal(maze, xy, goal) -> int:
    """How many cells a shortest path over free cells still crosses from ``xy``'s cell to the goal's (0: same cell)."""
    here, target = cell_of(maze, xy), cell_of(maze, goal)
    distance = cell_distances(maze, target)
    if here not in distance:
        raise ValueError(f"no path from cell {here} to the goal's cell {target}; free cells: {sorted(free_cells(maze))}")
    return distance[here]


def navigation_success(policy, episodes: int, seed: int = 0, noise: float = 0.0,
                       max_episode_steps: int = EVAL_STEPS) -> dict:
    """How often the goal-reaching ``policy``, steered along the planner's waypoints, solves the evaluation task:
    D4RL's U maze from its fixed start (within 0.1 m of the start cell's centre) to a goal drawn in the goal
    cell, ``max_episode_steps`` (700) steps, success within ``GOAL_RADIUS``; ``noise``: Gaussian action noise (D4RL's
    data: 0.2). Returns ``successes`` of ``episodes`` and, to tell why the others failed: ``fell`` (episodes that
    missed the goal and whose torso left ``HEALTHY_Z`` at some step), ``timed_out_upright`` (missed it standing),
    ``mean_cells_left`` (over the failed episodes: cells a shortest path still crossed at the end; the start is
    ``cells_to_goal`` of the start) and ``speed_to_waypoint`` (mean velocity along the waypoint's direction, m/s,
    over every step)."""
    rng = np.random.default_rng(seed)
    env = AntMaze(U_MAZE, max_episode_steps=max_episode_steps)
    dt = env.inner.ant_env.dt
    successes = fell = upright = 0
    cells_left, speeds = [], []
    for _ in range(episodes):
        obs, _ = env.reset(seed=int(rng.integers(2**31)))
        done = success = fallen = False
        while not done:
            waypoint = next_waypoint(env.maze, obs[:2], env.goal)
            action = np.asarray(policy(steering_input(obs, waypoint)), dtype=float)
            if noise:
                action = np.clip(action + noise * rng.standard_normal(action.shape), -1.0, 1.0)
            next_obs, _, success, timeout, _ = env.step(action)
            heading = (waypoint - obs[:2]) / max(np.linalg.norm(waypoint - obs[:2]), 1e-8)
            speeds.append(float((next_obs[:2] - obs[:2]) @ heading) / dt)
            fallen |= not HEALTHY_Z[0] <= next_obs[2] <= HEALTHY_Z[1]
            obs, done = next_obs, success or timeout
        successes += int(success)
        if not success:
            fell, upright = fell + int(fallen), upright + int(not fallen)
            cells_left.append(cells_to_goal(env.maze, obs[:2], env.goal))
    env.close()
    return {"episodes": episodes, "successes": successes, "fell": fell, "timed_out_upright": upright,
            "mean_cells_left": float(np.mean(cells_left)) if cells_left else 0.0,
            "speed_to_waypoint": float(np.mean(speeds))}
