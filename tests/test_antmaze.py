"""AntMaze (acalib/antmaze.py) against D4RL's task definition: the maze in D4RL's coordinates (not mirrored),
29-D observations, the goal's distribution, sparse reward and termination within 0.5 m of the goal on hand-set
states, the 700-step limit; the breadth-first waypoint planner steers a scripted point through the U to the goal
from every free cell and never into a wall; bad names get the valid list."""
import numpy as np
import pytest

from acalib import antmaze as A


@pytest.fixture(scope="module")
def env():
    e = A.AntMaze(max_episode_steps=4)
    yield e
    e.close()


def put_ant(env, xy) -> None:
    """Teleport the ant (D4RL coordinates), at rest."""
    ant = env.inner.ant_env
    qpos, qvel = ant.data.qpos.copy(), np.zeros_like(ant.data.qvel)
    qpos[:2] = np.asarray(xy) - env.offset
    ant.set_state(qpos, qvel)


def test_the_maze_is_d4rls_u_in_d4rls_coordinates(env):
    assert tuple(A.cell_center(A.U_MAZE, (1, 1))) == (0.0, 0.0)  # the start cell at the origin
    assert tuple(A.cell_center(A.U_MAZE, (3, 1))) == (0.0, 8.0)  # the goal cell: 8 m up, behind the wall
    inner = env.inner.maze
    for r, row in enumerate(A.U_MAZE):
        for c, cell in enumerate(row):
            # Gymnasium-Robotics lays the same wall at the same place: its row order reversed, positions shifted
            assert (inner.maze_map[len(A.U_MAZE) - 1 - r][c] == 1) == (cell == 1), (r, c)
            gym_xy = inner.cell_rowcol_to_xy(np.array([len(A.U_MAZE) - 1 - r, c]))
            np.testing.assert_allclose(gym_xy + env.offset, A.cell_center(A.U_MAZE, (r, c)))
    assert A.cell_of(A.U_MAZE, (1.9, -1.9)) == (1, 1) and A.cell_of(A.U_MAZE, (2.1, 6.1)) == (3, 2)


def test_reset_observations_and_goal_as_d4rl(env):
    obs, info = env.reset(seed=3)
    assert obs.shape == (A.OBS_DIM,) and env.observation_space.shape == (29,) and env.action_space.shape == (8,)
    assert np.all(np.abs(obs[:2]) <= 0.1)  # the ant within 0.1 m of the start cell's centre
    goals = np.array([env.reset(seed=s)[1]["goal"] for s in range(200)])
    assert (goals.min(axis=0) >= [0.0, 8.0]).all() and (goals.max(axis=0) <= [1.5, 9.5]).all()  # + U(0,1) + U(0,.5)
    assert 0.6 < goals[:, 0].mean() < 0.9  # E = 0.5 + 0.25
    put_ant(env, (2.5, -1.0))
    np.testing.assert_allclose(env._obs()[:2], (2.5, -1.0))  # x, y first, in D4RL coordinates
    assert env._obs()[15:].shape == (14,)  # then the joint velocities: no contact forces, no goal


def test_sparse_reward_termination_and_time_limit_on_hand_set_states(env):
    env.reset(seed=0)
    goal = env.goal.copy()
    put_ant(env, goal + [0.3, 0.3])  # 0.42 m away: inside the 0.5 m radius
    _, reward, terminated, truncated, info = env.step(np.zeros(8))
    assert reward == 1.0 and terminated and not truncated and info["success"]
    env.reset(seed=0)
    put_ant(env, env.goal + [0.6, 0.0])  # outside
    for t in range(1, 5):
        _, reward, terminated, truncated, _ = env.step(np.zeros(8))
        assert reward == 0.0 and not terminated and truncated == (t == 4)  # max_episode_steps=4 here


def test_the_planner_steers_a_point_to_the_goal_from_every_free_cell_and_never_into_a_wall():
    """A scripted stand-in for the ant: a point that moves 0.4 m towards ``next_waypoint`` each step."""
    rng = np.random.default_rng(0)
    walls = {(r, c) for r, row in enumerate(A.U_MAZE) for c, cell in enumerate(row) if cell == 1}
    for start in A.free_cells(A.U_MAZE):
        for goal_cell in A.free_cells(A.U_MAZE):
            xy = A.cell_center(A.U_MAZE, start) + rng.uniform(-1, 1, 2)
            goal = A.sample_goal(A.U_MAZE, rng, goal_cell)
            for _ in range(200):
                if np.linalg.norm(xy - goal) <= A.GOAL_RADIUS:
                    break
                heading = A.next_waypoint(A.U_MAZE, xy, goal) - xy
                xy = xy + 0.4 * heading / max(np.linalg.norm(heading), 1e-9)
                assert A.cell_of(A.U_MAZE, xy) not in walls, (start, goal_cell, xy)
            assert np.linalg.norm(xy - goal) <= A.GOAL_RADIUS, (start, goal_cell)


def test_bad_names_and_unreachable_points_are_refused():
    with pytest.raises(ValueError, match=r"unknown AntMaze task 'medium'; valid: \['umaze', 'umaze-diverse'\]"):
        A.task("medium")
    with pytest.raises(ValueError, match=r"no path: \[4.0, 4.0\] is in cell \(2, 2\)"):
        A.next_waypoint(A.U_MAZE, [4.0, 4.0], [0.0, 8.0])  # inside the wall
    assert A.task("umaze-diverse").random_start_and_goal and not A.task("umaze").random_start_and_goal


def test_ant_direction_rewards_velocity_along_a_direction_redrawn_every_100_steps():
    from acalib.envs import make_env

    env = make_env("antdir")  # registered: what `acalib zoo train --env antdir` trains on
    obs, _ = env.reset(seed=1)
    assert obs.shape == (29,) and np.isclose(np.linalg.norm(obs[-2:]), A.DIRECTION_SCALE)
    directions = [obs[-2:].copy()]
    for t in range(1, 201):
        obs, reward, terminated, truncated, info = env.step(0.2 * env.action_space.sample())  # stays upright
        velocity = np.array([info["x_velocity"], info["y_velocity"]])
        expected = velocity @ info["direction"] + info["reward_survive"] + info["reward_ctrl"] + info["reward_contact"]
        assert np.isclose(reward, expected) and np.isclose(info["reward_direction"], velocity @ info["direction"])
        assert not terminated
        if t % A.DIRECTION_STEPS == 0:
            directions.append(obs[-2:].copy())
        else:
            np.testing.assert_allclose(obs[-2:], directions[-1])  # held between redraws
    assert len(directions) >= 2 and not np.allclose(directions[0], directions[1])
    env.close()


def test_collect_runs_d4rls_generator_with_a_stub_policy():
    """Shapes, time-outs every episode, no terminals, D4RL's sparse reward, the policy fed 27-D state ++ a
    norm-10 direction; the diverse task starts in several cells, the fixed one at the start cell only."""
    fed = []

    def stub(x):
        fed.append(x)
        return np.zeros(8)

    data, successes, episodes = A.collect("umaze", stub, 60, seed=0, max_episode_steps=20)
    assert data.observations.shape == (60, 29) and data.actions.shape == (60, 8) and not data.terminals.any()
    assert list(np.flatnonzero(data.timeouts)) == [19, 39, 59] and episodes == 3 and successes == 0
    assert set(np.unique(data.rewards)) <= {0.0} and np.allclose(np.linalg.norm(np.array(fed)[:, -2:], axis=1), 10)
    np.testing.assert_allclose(data.next_observations[:-1][~data.timeouts[:-1]], data.observations[1:][~data.timeouts[:-1]])
    starts = data.observations[np.r_[0, np.flatnonzero(data.timeouts[:-1]) + 1], :2]
    assert {A.cell_of(A.U_MAZE, xy) for xy in starts} == {(1, 1)}
    diverse, _, _ = A.collect("umaze-diverse", lambda x: np.zeros(8), 200, seed=0, max_episode_steps=10)
    cells = {A.cell_of(A.U_MAZE, xy) for xy in diverse.observations[np.r_[0, np.flatnonzero(diverse.timeouts[:-1]) + 1], :2]}
    assert len(cells) >= 3 and cells <= set(A.free_cells(A.U_MAZE))
