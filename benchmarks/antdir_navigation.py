"""How a policy of an AntDirection zoo run (before it is exported into ``zoo/antdir/``) navigates the AntMaze
evaluation task when the planner steers it: ``antmaze.navigation_success`` from the fixed start, 50 episodes
deterministic and 50 with the data's action noise 0.2, with its failure modes (fell, timed out upright, cells left,
speed along the waypoint). The same measurement ``acalib zoo export --env antdir`` records for the expert.
usage: python benchmarks/antdir_navigation.py RUN_DIR STEP [EPISODES]"""
import json
import sys
from pathlib import Path

import torch

from acalib import antmaze, seeding
from acalib.checkpoint import load_checkpoint
from acalib.data.datasets import NAVIGATION_EPISODES
from acalib.nets import SquashedGaussianPolicy
from acalib.runs import RunDir

run, step = RunDir(sys.argv[1]), int(sys.argv[2])
episodes = int(sys.argv[3]) if len(sys.argv) > 3 else NAVIGATION_EPISODES
torch.set_num_threads(1)
state = load_checkpoint(Path(run.path) / "policies" / f"step_{step:07d}.pt")["actor"]
policy = SquashedGaussianPolicy(antmaze.OBS_DIM, antmaze.ACT_DIM, tuple(run.config()["hyperparameters"]["hidden"]),
                                seeding.generators([0], "init"))
policy.load_state_dict(state)
policy.requires_grad_(False)


@torch.no_grad()
def act(steering_input):  # as ``datasets.antmaze_behaviour_policy``: tanh of the mean
    obs = torch.as_tensor(steering_input, dtype=torch.float32).reshape(1, 1, -1)
    return torch.tanh(policy.distribution(obs)[0])[0, 0].numpy()


result = {"run": str(run.path), "step": step}
for name, noise in (("deterministic", 0.0), ("noise_0.2", 0.2)):
    result[name] = antmaze.navigation_success(act, episodes, seed=0, noise=noise)
print(json.dumps(result, indent=1))
