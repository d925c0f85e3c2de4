"""Scaled profiles and the cost estimate extrapolated from them."""
import json

import pandas as pd
import pytest

from acalib import cli, cost
from acalib.profiles import get_profile, scale_of, scaled


def test_a_scaled_profile_keeps_the_grid_and_divides_steps():
    lite, small = get_profile("lite"), get_profile("lite/100")
    assert small == get_profile("lite-div100") == scaled(lite, 100) and small.name == "lite-div100"
    assert (small.envs, small.levels, small.seeds, small.long_seeds, small.ensemble_size) == \
        (lite.envs, lite.levels, lite.seeds, lite.long_seeds, lite.ensemble_size)
    assert (small.offline_steps, small.online_steps, small.long_online_steps, small.awac_online_steps,
            small.actor_only_steps, small.burn_in_steps) == (1000, 500, 1000, 1000, 100, 100)
    # evaluation no more often than every 50 steps; checkpoints keep their interval; datasets 1M / 100
    assert (small.eval_interval, small.actor_only_eval_interval) == (50, 50)
    assert small.checkpoint_interval == lite.checkpoint_interval and small.dataset_size == 10_000
    assert get_profile("paper/1000").eval_interval == 50 and get_profile("paper/1000").offline_steps == 500
    assert get_profile("tiny/1").actor_only_eval_interval == 25  # never longer than the profile's own
    assert scale_of(small) == ("lite", 100) and scale_of(lite) == ("lite", 1)


@pytest.mark.parametrize("name", ["lite/0", "nope/10", "lite/x", "lite/"])
def test_bad_profile_names_list_the_valid_ones(name):
    with pytest.raises(ValueError, match=r"unknown profile .*valid: \['tiny', 'smoke', 'claims', 'lite', 'paper'\]"):
        get_profile(name)
    with pytest.raises(ValueError, match="positive integer, got 0"):
        scaled(get_profile("lite"), 0)


def fake_run(root, dataset, name, stage, steps, seeds, rows, done=True, folder="lite-div100"):
    """A run directory as the loops write it: ``rows`` are (step, updates, time_s, eval_s)."""
    path = root / "runs" / folder / dataset / name
    path.mkdir(parents=True)
    (path / "config.json").write_text(json.dumps({"stage": stage, "steps": steps, "seeds": seeds}))
    pd.DataFrame([{"step": s, "seed": seed, "updates": u, "time_s": t, "eval_s": e}
                  for s, u, t, e in rows for seed in seeds]).to_csv(path / "metrics.csv", index=False)
    if done:
        (path / "done").write_text(json.dumps({"time_s": rows[-1][2] + 0.5}))


def test_run_costs_extrapolate_updates_and_evaluations(tmp_path, capsys):
    # offline, 100 steps at lite/100 (10k at lite): 3 evaluations took 4 s of the loop's 10 s, its final
    # checkpoint 0.5 s (``fake_run``)
    fake_run(tmp_path, "hopper-random", "sac_ml-aaaa", "offline", 100, [0, 1, 2],
             [(0, 0, 1.0, 1.0), (50, 50, 5.0, 2.5), (100, 100, 10.0, 4.0)])
    # online, 50 steps (5k at lite) of which the first 30 filled the buffer: 20 updates
    fake_run(tmp_path, "hopper-random", "aca-bbbb", "online", 50, [0, 1, 2],
             [(0, 0, 0.5, 0.5), (50, 20, 6.0, 1.0)])
    # the same method on another dataset, its buffer empty: 50 steps and no update at this scale
    fake_run(tmp_path, "hopper-medium", "aca-dddd", "online", 50, [0, 1, 2], [(0, 0, 0.5, 0.5), (50, 0, 1.5, 1.0)])
    frame = cost.run_costs(tmp_path, "lite/100").set_index(["dataset", "algo"])
    off, on = frame.loc[("hopper-random", "sac_ml")], frame.loc[("hopper-random", "aca")]
    assert off["steps"] == 10_000 and off["train_s"] == pytest.approx((10.0 - 4.0) * 100)
    assert off["checkpoint_s"] == pytest.approx(2 * 0.5)  # lite saves at every evaluation (5k): twice
    assert off["eval_s"] == pytest.approx(4.0 / 3 * (10_000 // 5_000 + 1))  # lite evaluates every 5k steps
    per_update = (6.0 - 1.0) / 20
    assert on["steps"] == 5_000 and on["train_s"] == pytest.approx(per_update * (5_000 - 30))
    assert on["eval_s"] == pytest.approx(1.0 / 2 * 2)
    assert on["total_s"] == pytest.approx(on["train_s"] + on["eval_s"] + 0.5)
    empty = frame.loc[("hopper-medium", "aca")]
    assert empty["imputed"] and not on["imputed"] and empty["train_s"] == pytest.approx(per_update * (5_000 - 50))
    table = cost.summary(frame.reset_index())
    assert table.loc[("offline", "sac_ml"), "runs"] == 1 and table.loc[("online", "aca"), "steps"] == 10_000
    builds = cost.dataset_costs(frame.reset_index(), "lite/100", seconds_per_million=100.0)
    assert builds.to_dict("records")[1] == {"dataset": "hopper-random", "transitions": 1_000_000, "build_s": 100.0}
    maze = pd.DataFrame({"dataset": ["antmaze-umaze", "hopper-random"]})  # each at its environment's measured rate
    assert cost.dataset_costs(maze, "lite/100")["build_s"].tolist() == [
        cost.BUILD_SECONDS_PER_MILLION_BY_ENV["antmaze"], cost.BUILD_SECONDS_PER_MILLION]

    args = ["cost", "--profile", "lite/100", "--root", str(tmp_path), "--csv", str(tmp_path / "c.csv")]
    assert cli.main(args) in (0, None)
    assert "lite, estimated from lite/100 (3 runs, 1 with an imputed update cost)" in capsys.readouterr().out
    assert len(pd.read_csv(tmp_path / "c.csv")) == 3


def test_run_costs_refuse_unfinished_missing_and_unscaled(tmp_path):
    with pytest.raises(ValueError, match="'lite' is not a scaled profile.*lite/100"):
        cost.run_costs(tmp_path, "lite")
    with pytest.raises(FileNotFoundError, match="no runs under .*lite-div100.*acalib reproduce --profile lite/100"):
        cost.run_costs(tmp_path, "lite/100")
    fake_run(tmp_path, "hopper-random", "sac_ml-cccc", "offline", 100, [0], [(100, 100, 2.0, 1.0)], done=False)
    with pytest.raises(RuntimeError, match="1 runs under .* are unfinished"):
        cost.run_costs(tmp_path, "lite/100")


def test_a_method_without_updates_borrows_its_cost_from_a_finer_pass(tmp_path):
    fake_run(tmp_path, "hopper-medium", "aca_bc_only-eeee", "online", 50, [0, 1, 2],
             [(0, 0, 0.5, 0.5), (50, 0, 1.5, 1.0)])
    frame = cost.run_costs(tmp_path, "lite/100")
    assert frame["total_s"].isna().all() and frame["imputed"].all()
    assert cost.summary(frame)["hours"].isna().all()  # not a silent zero
    # the same method at lite/10: 500 steps, 244 updates
    fake_run(tmp_path, "hopper-medium", "aca_bc_only-ffff", "online", 500, [0, 1, 2],
             [(0, 0, 0.5, 0.5), (500, 244, 25.0, 2.0)], folder="lite-div10")
    frame = cost.run_costs(tmp_path, "lite/100", impute_from=("lite/10",))
    assert frame.loc[0, "train_s"] == pytest.approx((25.0 - 2.0) / 244 * (5_000 - 50))
    with pytest.raises(ValueError, match="cannot impute 'lite/100' from 'smoke/10': another profile"):
        cost.run_costs(tmp_path, "lite/100", impute_from=("smoke/10",))


def test_each_checkpoint_of_the_full_run_costs_the_scaled_runs_final_save(tmp_path):
    # 250 steps at lite/100: 25k at lite, which saves at every evaluation (5k, ..., 25k); the final save took 0.5 s
    fake_run(tmp_path, "hopper-random", "td3_bc-gggg", "offline", 250, [0, 1, 2],
             [(0, 0, 1.0, 1.0), (250, 250, 6.0, 2.0)])
    row = cost.run_costs(tmp_path, "lite/100").iloc[0]
    assert row["checkpoint_s"] == pytest.approx(5 * 0.5) and row["train_s"] == pytest.approx((6.0 - 2.0) * 100)
    assert row["total_s"] == pytest.approx(400 + 2.0 / 2 * (25_000 // 5_000 + 1) + 2.5)
