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


def test_cells_to_goal_counts_the_cells_of_a_shortest_path_round_the_u():
    start, goal = A.cell_center(A.U_MAZE, (1, 1)), A.cell_center(A.U_MAZE, (3, 1))
    # (1, 1) -> (1, 2) -> (1, 3) -> (2, 3) -> (3, 3) -> (3, 2) -> (3, 1)
    assert A.cells_to_goal(A.U_MAZE, start, goal) == 6
    assert A.cells_to_goal(A.U_MAZE, A.cell_center(A.U_MAZE, (2, 3)), goal) == 3
    assert A.cells_to_goal(A.U_MAZE, goal + 0.3, goal) == 0
    with pytest.raises(ValueError, match=r"no path from cell \(2, 2\)"):
        A.cells_to_goal(A.U_MAZE, [4.0, 4.0], goal)


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
    ant = env.unwrapped.ant
    for t in range(1, 201):
        before = ant.data.body("torso").xpos[:2].copy()
        direction = obs[-2:] / A.DIRECTION_SCALE  # the direction the policy saw when it acted
        obs, reward, terminated, truncated, info = env.step(0.2 * env.action_space.sample())  # stays upright
        velocity = (ant.data.body("torso").xpos[:2] - before) / ant.dt  # the torso's displacement over 0.05 s
        assert np.isclose(reward, velocity @ direction)  # only the velocity along d: no healthy bonus, no costs
        assert info["reward_survive"] == 1.0 and info["reward_ctrl"] < 0 and not terminated
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


# --- AntMaze datasets (acalib/data/datasets.py): names, D4RL files, the generated build ---------------------------

def zero_policy(steering_input):
    return np.zeros(A.ACT_DIM)


def test_antmaze_names_resolve_and_bad_ones_get_the_valid_list():
    from acalib.data.datasets import parse_name
    assert parse_name("antmaze-umaze-v2") == ("antmaze", "umaze")
    assert parse_name("antmaze-umaze-diverse") == ("antmaze", "umaze-diverse")
    with pytest.raises(ValueError, match=r"'medium'.*valid for antmaze: \['umaze', 'umaze-diverse'\]"):
        parse_name("antmaze-medium")
    with pytest.raises(ValueError, match=r"'umaze'.*valid for hopper: \['random', 'medium'"):
        parse_name("hopper-umaze")


def test_a_d4rl_antmaze_file_is_read_as_d4rls_qlearning_dataset(tmp_path):
    import h5py
    from acalib.data.datasets import load_dataset
    data, successes, episodes = A.collect("umaze", zero_policy, 1500, seed=3, max_episode_steps=600)
    assert (episodes, successes) == (2, 0)  # two whole 600-step episodes, then 300 steps cut by the data's end
    with h5py.File(tmp_path / "antmaze-umaze-v2.hdf5", "w") as f:  # D4RL's layout: no next_observations
        for key in ("observations", "actions", "rewards", "terminals", "timeouts"):
            f[key] = getattr(data, key)
    ds = load_dataset("antmaze-umaze", d4rl_dir=str(tmp_path))
    assert (ds.env, ds.level, ds.ref_min, ds.ref_max) == ("antmaze", "umaze", 0.0, 1.0)
    assert ds.source.startswith("d4rl:") and len(ds.checksum) == 64
    keep = np.flatnonzero(~data.timeouts[:-1])  # each episode's time-out step has no successor in the file
    assert len(ds.transitions) == 1500 - 3 == len(keep)
    np.testing.assert_array_equal(ds.transitions.observations, data.observations[keep])
    np.testing.assert_array_equal(ds.transitions.next_observations, data.observations[keep + 1])
    assert ds.transitions.observations.shape[1] == A.OBS_DIM
    from acalib.data.datasets import goal_statistics  # what `acalib datasets info` adds: episodes are still cut
    stats = goal_statistics("antmaze-umaze", d4rl_dir=str(tmp_path))
    assert (stats["transitions"], stats["episodes"], stats["episodes_reaching_goal"]) == (1497, 3, 0)


def test_goal_statistics_count_the_episodes_that_reach_the_goal():
    from acalib.data.buffers import Transitions
    n = 9  # episodes of 4, 3 and 2 steps; the second is rewarded twice (the ant lingers at the goal)
    rewards, timeouts = np.zeros(n), np.zeros(n, bool)
    rewards[[5, 6]] = 1.0
    timeouts[[3, 6, 8]] = True
    data = Transitions(np.zeros((n, A.OBS_DIM)), np.zeros((n, A.ACT_DIM)), rewards, np.zeros((n, A.OBS_DIM)),
                       np.zeros(n, bool), timeouts)
    assert A.goal_statistics(data) == {"transitions": 9, "episodes": 3, "episodes_reaching_goal": 1,
                                       "share_reaching_goal": 1 / 3, "share_of_rewarded_transitions": 2 / 9}


def test_the_generated_antmaze_dataset_round_trips_and_needs_the_zoo(minari_root, tmp_path, monkeypatch):
    from acalib.data import datasets as D
    monkeypatch.setenv("ACALIB_ZOO_DIR", str(tmp_path / "empty-zoo"))
    with pytest.raises(FileNotFoundError, match="acalib zoo train --env antdir"):
        D.build_dataset("antmaze", "umaze", size=1200)
    monkeypatch.setattr(D, "_antmaze_behaviour_step", lambda: 7)
    monkeypatch.setattr(D, "antmaze_behaviour_policy", lambda step: zero_policy)
    dataset_id = D.build_dataset("antmaze", "umaze-diverse", size=1200)
    assert dataset_id == "acalib/antmaze/umaze-diverse-1200-v0"
    ds = D.load_dataset("antmaze-umaze-diverse", size=1200)
    expected, successes, _ = A.collect("umaze-diverse", zero_policy, 1200, seed=0)
    for key in ("observations", "actions", "rewards", "next_observations", "terminals", "timeouts"):
        np.testing.assert_array_equal(getattr(ds.transitions, key), getattr(expected, key), err_msg=key)
    assert (ds.ref_min, ds.ref_max) == (0.0, 1.0)
    info = D.dataset_info(dataset_id)
    assert "random start and goal cells" in info["description"] and "antdir zoo's expert, step 7" in info["description"]
    stats = D.goal_statistics(dataset_id)  # the sized build, not the 1M default (which is not built)
    assert stats == A.goal_statistics(expected) and (stats["transitions"], stats["episodes"]) == (1200, 2)
    assert stats["episodes_reaching_goal"] >= successes  # the generator counts whole episodes only


def minari_antmaze(dataset_id: str, maze_map, steps: int = 30, env_id: str = "AntMaze_UMaze-v4"):
    """A Minari dataset as Minari's D4RL/antmaze/* are stored: Gymnasium-Robotics' AntMaze on ``maze_map`` with its
    spec recorded (AntMaze_UMaze-v4, as Minari's), dict observations, random actions; returns the raw dict observations."""
    import warnings
    import gymnasium as gym
    import gymnasium_robotics  # noqa: F401
    import minari
    from minari.data_collector.episode_buffer import EpisodeBuffer

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        env = gym.make(env_id, maze_map=maze_map, continuing_task=True, reset_target=False)
        obs, _ = env.reset(seed=3)
        frames, actions = [obs], env.action_space.sample()[None].repeat(steps, 0) * 0.3
        for a in actions:
            frames.append(env.step(a)[0])
        observations = {k: np.stack([f[k] for f in frames]) for k in obs}
        buffer = EpisodeBuffer(id=0, observations=observations, actions=actions, rewards=[0.0] * steps,
                               terminations=[False] * steps, truncations=[False] * (steps - 1) + [True])
        minari.create_dataset_from_buffers(dataset_id, [buffer], env=env, algorithm_name="test", author="test",
                                           author_email="t@localhost", code_permalink="test", description="test",
                                           data_format="hdf5")
        env.close()
    return observations


def test_minaris_antmaze_datasets_are_read_in_d4rls_frame(tmp_path, monkeypatch):
    """Minari's D4RL/antmaze/umaze layout (Gymnasium-Robotics' centred frame, the ant's xy in 'achieved_goal') reads
    as D4RL's 29-D observations in D4RL's frame: the start cell at the origin, the goal cell at (0, 8)."""
    from acalib.data.datasets import load_dataset
    monkeypatch.setenv("MINARI_DATASETS_PATH", str(tmp_path))
    data_map = [[1, 1, 1, 1, 1], [1, "g", 0, 0, 1], [1, 1, 1, 0, 1], [1, "r", 0, 0, 1], [1, 1, 1, 1, 1]]  # Minari's
    raw = minari_antmaze("D4RL/antmaze/umaze-v1", data_map)
    ds = load_dataset("D4RL/antmaze/umaze-v1")
    obs = ds.transitions.observations
    assert (ds.env, ds.level, ds.ref_min, ds.ref_max) == ("antmaze", "umaze", 0.0, 1.0) and obs.shape == (30, A.OBS_DIM)
    np.testing.assert_allclose(obs[:, 2:], raw["observation"][:-1], rtol=1e-6)
    np.testing.assert_allclose(ds.transitions.next_observations[-1, 2:], raw["observation"][-1], rtol=1e-6)
    assert np.abs(obs[0, :2]).max() <= 1.0 + 1e-6  # reset within 1 m of the start cell's centre: D4RL's origin
    goal = raw["desired_goal"][0] + (obs[0, :2] - raw["achieved_goal"][0])
    assert np.abs(goal - A.cell_center(A.U_MAZE, A.marked_cell(A.U_MAZE, A.G))).max() <= 1.0 + 1e-6
    np.testing.assert_allclose(A.gymnasium_robotics_offset(data_map), A.AntMaze().offset)  # the evaluation's frame
    from acalib.study import Study  # trained as an AntMaze dataset: the policy ACA continues there
    spec = Study("tiny", root=tmp_path, progress=False).offline_spec("sac_ml", "D4RL/antmaze/umaze-v1")
    assert (spec.hyperparameters["policy"], spec.hyperparameters["target_entropy_scale"]) == ("gaussian", 0.5)


def test_other_mazes_and_dict_layouts_are_refused_by_name(tmp_path, monkeypatch):
    from acalib.data.datasets import load_dataset
    monkeypatch.setenv("MINARI_DATASETS_PATH", str(tmp_path))
    mirrored = [[1, 1, 1, 1, 1], [1, 0, 0, "r", 1], [1, 0, 1, 1, 1], [1, 0, 0, "g", 1], [1, 1, 1, 1, 1]]  # Minari's eval map
    minari_antmaze("D4RL/antmaze/umaze-diverse-v1", mirrored, steps=3)
    with pytest.raises(ValueError, match=r"'D4RL/antmaze/umaze-diverse-v1': maze map .*'r', 1\]. .*is not D4RL's U maze.*"
                                         r"valid: \[\[1, 1, 1, 1, 1\], \[1, 'g', 0, 0, 1\]"):
        load_dataset("D4RL/antmaze/umaze-diverse-v1")
    with pytest.raises(ValueError, match=r"unknown level 'open' in dataset name 'antmaze-open-v1'; valid for antmaze: "
                                         r"\['umaze', 'umaze-diverse'\]"):
        load_dataset("D4RL/antmaze/open-v1")  # refused by its name, before anything is read
    import warnings
    import gymnasium as gym
    import minari
    from minari.data_collector.episode_buffer import EpisodeBuffer
    n, keys = 5, {"observation": 27, "achieved_goal": 2, "desired_goal": 2}
    buffer = EpisodeBuffer(id=0, observations={k: np.zeros((n + 1, d)) for k, d in keys.items()},
                           actions=np.zeros((n, A.ACT_DIM), np.float32), rewards=[0.0] * n, terminations=[False] * n,
                           truncations=[False] * (n - 1) + [True])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        minari.create_dataset_from_buffers(
            "test/nospec/dict-v0", [buffer], algorithm_name="test", author="test", author_email="t@localhost",
            code_permalink="test", description="test", data_format="hdf5",
            observation_space=gym.spaces.Dict({k: gym.spaces.Box(-np.inf, np.inf, (d,)) for k, d in keys.items()}),
            action_space=gym.spaces.Box(-1, 1, (A.ACT_DIM,), np.float32))
    with pytest.raises(ValueError, match=r"'test/nospec/dict-v0' has dict observations \(\['achieved_goal', "
                                         r"'desired_goal', 'observation'\]\) of environment None; acalib reads flat"):
        load_dataset("test/nospec/dict-v0")
    with pytest.raises(ValueError, match=r"AntMaze observations of shape \(3, 111\).*valid: \(n, 27\)"):
        A.from_gymnasium_robotics(np.zeros((3, 111)), np.zeros((3, 2)), np.zeros(2))


def test_a_profiles_antmaze_tasks_say_why_they_cannot_run_here(tmp_path, monkeypatch):
    """``Study.antmaze``: without D4RL's files and without the antdir expert a task is left out with the command that
    makes its data; the expert's metadata in the zoo, or D4RL's file in the D4RL directory, makes it runnable."""
    from acalib.study import Study

    monkeypatch.setenv("ACALIB_ZOO_DIR", str(tmp_path / "zoo"))
    monkeypatch.setenv("MINARI_DATASETS_PATH", str(tmp_path / "minari"))
    monkeypatch.delenv("D4RL_DATASET_DIR", raising=False)
    study = Study("lite", root=tmp_path, progress=False)
    runnable, missing = study.antmaze()
    assert runnable == [] and list(missing) == ["antmaze-umaze", "antmaze-umaze-diverse"]
    assert "acalib zoo train --env antdir" in missing["antmaze-umaze"]
    (tmp_path / "zoo" / "antdir").mkdir(parents=True)
    (tmp_path / "zoo" / "antdir" / "metadata.json").write_text("{}")
    assert study.antmaze() == (["antmaze-umaze", "antmaze-umaze-diverse"], {})
    (tmp_path / "d4rl").mkdir()
    (tmp_path / "d4rl" / "antmaze-umaze-v2.hdf5").write_bytes(b"")
    monkeypatch.setenv("D4RL_DATASET_DIR", str(tmp_path / "d4rl"))
    assert study.antmaze() == (["antmaze-umaze"], {"antmaze-umaze-diverse": f"D4RL directory {tmp_path / 'd4rl'} "
                                                                           f"has no file antmaze-umaze-diverse-v2.hdf5"})
    assert Study("claims", root=tmp_path, progress=False).antmaze() == ([], {})  # Hopper only


def test_sac_ml_and_aca_take_the_antmaze_settings_end_to_end(minari_root, tmp_path, monkeypatch):
    """On AntMaze, SAC+ML trains the non-squashed Gaussian policy with target entropy -|A|/2 (the official code's
    antmaze.yaml, read offline and online) and ACA continues it with beta 3, k (1, 200, 0.5) and online rewards - 1;
    a locomotion run's hyperparameters (so its run key) are untouched. Scores are 100 x the success rate."""
    import pandas as pd

    from acalib.algos import SACMLConfig
    from acalib.data import datasets as D
    from acalib.nets import GaussianPolicy
    from acalib.experiment import load_offline_agent
    from acalib.study import Study

    monkeypatch.setattr(D, "_antmaze_behaviour_step", lambda: 7)
    monkeypatch.setattr(D, "antmaze_behaviour_policy", lambda step: zero_policy)
    study = Study("tiny", root=tmp_path, progress=False)
    assert study.offline_spec("sac_ml", "hopper-random").hyperparameters == SACMLConfig().to_dict()
    spec = study.offline_spec("sac_ml", "antmaze-umaze")
    assert (spec.hyperparameters["policy"], spec.hyperparameters["target_entropy_scale"]) == ("gaussian", 0.5)
    assert study.offline_spec("sac_ml", "antmaze-umaze", policy="squashed").hyperparameters["policy"] == "squashed"

    off = study.offline("sac_ml", "antmaze-umaze", steps=40)
    agent, _ = load_offline_agent(off.path, "cpu")
    assert isinstance(agent.actor, GaussianPolicy)
    aca = study.online("aca", off, steps=150)
    cfg = aca.config()["hyperparameters"]
    assert {k: cfg[k] for k in ("policy", "beta", "k0", "k_horizon", "k_min", "reward_shift", "target_entropy_scale",
                                "n_trajs")} == {"policy": "gaussian", "beta": 3.0, "k0": 1.0, "k_horizon": 200,
                                                "k_min": 0.5, "reward_shift": -1.0, "target_entropy_scale": 0.5,
                                                "n_trajs": 0}
    scores = pd.read_csv(aca.metrics_path)["normalized_score"]
    episodes = study.profile.eval_episodes
    assert set((scores * episodes / 100).round(6)) <= set(float(i) for i in range(episodes + 1))  # successes / episodes


def test_navigation_success_counts_episodes_that_reach_the_goal_and_is_recorded_in_the_zoo(tmp_path, monkeypatch):
    """``navigation_success`` on the evaluation task: a policy that never moves never reaches the goal 8 m away; with
    a goal radius covering the maze every episode succeeds at once. ``record_navigation_success`` writes the expert's
    rates (deterministic and with noise 0.2) into the antdir zoo's metadata, keeping what was there."""
    import json

    from acalib.data import datasets as D

    still = A.navigation_success(zero_policy, 2, max_episode_steps=50)
    assert {k: still[k] for k in ("episodes", "successes", "fell", "timed_out_upright", "mean_cells_left")} == {
        "episodes": 2, "successes": 0, "fell": 0, "timed_out_upright": 2, "mean_cells_left": 6.0}  # round the U
    assert abs(still["speed_to_waypoint"]) < 0.1  # it stands where it started
    monkeypatch.setattr(A, "HEALTHY_Z", (0.9, 1.0))  # the standing ant's torso (about 0.5-0.7 m) now counts as fallen
    assert A.navigation_success(zero_policy, 2, max_episode_steps=50)["fell"] == 2
    monkeypatch.setattr(A, "GOAL_RADIUS", 100.0)
    won = A.navigation_success(zero_policy, 3, max_episode_steps=50)
    assert (won["successes"], won["fell"], won["timed_out_upright"], won["mean_cells_left"]) == (3, 0, 0, 0.0)
    monkeypatch.undo()

    monkeypatch.setenv("ACALIB_ZOO_DIR", str(tmp_path))
    (tmp_path / "antdir").mkdir()
    (tmp_path / "antdir" / "metadata.json").write_text(json.dumps({"expert_step": 7, "env": "antdir"}))
    asked = []
    monkeypatch.setattr(D, "antmaze_behaviour_policy", lambda step: asked.append(step) or zero_policy)
    result = D.record_navigation_success(episodes=2, max_episode_steps=50)
    assert asked == [7] and (result["deterministic"], result["noise_0.2"], result["episodes"]) == (0.0, 0.0, 2)
    assert result["noise_0.2_outcomes"]["successes"] == 0 and result["deterministic_outcomes"]["timed_out_upright"] == 2
    meta = json.loads((tmp_path / "antdir" / "metadata.json").read_text())
    assert meta["env"] == "antdir" and meta["navigation_success"] == result


def test_the_zoo_expert_steers_the_ant_from_the_planners_float64_input(tmp_path, monkeypatch):
    """``antmaze_behaviour_policy`` loads the antdir zoo's expert and acts on what the planner gives it (a float64
    steering input): tanh of the policy's mean, in float32, 8-D. (The real expert's input is float64; a policy
    called on it unconverted failed in its first matrix product.)"""
    import json

    import torch

    from acalib import seeding
    from acalib.checkpoint import save_checkpoint
    from acalib.data import datasets as D
    from acalib.nets import SquashedGaussianPolicy

    monkeypatch.setenv("ACALIB_ZOO_DIR", str(tmp_path))
    actor = SquashedGaussianPolicy(A.OBS_DIM, A.ACT_DIM, (16, 16), seeding.generators([3], "init"))
    (tmp_path / "antdir").mkdir()
    (tmp_path / "antdir" / "metadata.json").write_text(json.dumps({"expert_step": 7, "hidden": [16, 16]}))
    save_checkpoint(tmp_path / "antdir" / "policies" / "step_0000007.pt", {"actor": actor.state_dict(), "step": 7})

    env = A.AntMaze(max_episode_steps=4)
    obs, _ = env.reset(seed=0)
    env.close()
    steer = A.steering_input(obs, A.next_waypoint(env.maze, obs[:2], env.goal))
    assert steer.dtype == np.float64 and steer.shape == (A.OBS_DIM,)
    action = D.antmaze_behaviour_policy(7)(steer)
    with torch.no_grad():
        expected = torch.tanh(actor.distribution(torch.tensor(steer, dtype=torch.float32)[None, None])[0])[0, 0].numpy()
    assert action.dtype == np.float32 and action.shape == (A.ACT_DIM,)
    np.testing.assert_allclose(action, expected, rtol=1e-6)
    assert np.abs(action).max() < 1
