"""What building an AntMaze dataset costs per million transitions: ``antmaze.collect`` (D4RL's generator, the
planner steering a goal-reaching policy) with an untrained policy of the zoo's size in place of the expert (the
cost is the maze's physics, the planner and one forward pass per step, not how well the policy walks), timed in
this process's CPU seconds so that jobs on the other cores do not inflate it.
usage: python benchmarks/antmaze_build_speed.py [TRANSITIONS]   (default 20000)"""
import sys
import time

import torch

from acalib import antmaze, seeding
from acalib.algos.sac import SACConfig
from acalib.nets import SquashedGaussianPolicy

n = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
torch.set_num_threads(1)
policy = SquashedGaussianPolicy(antmaze.OBS_DIM, antmaze.ACT_DIM, tuple(SACConfig().hidden), seeding.generators([0], "init"))


@torch.no_grad()
def act(steering_input):  # as ``datasets.antmaze_behaviour_policy``
    obs = torch.as_tensor(steering_input, dtype=torch.float32).reshape(1, 1, -1)
    return torch.tanh(policy.distribution(obs)[0])[0, 0].numpy()


for task in ("umaze", "umaze-diverse"):
    start = time.process_time()
    antmaze.collect(task, act, n, seed=0)
    seconds = time.process_time() - start
    print(f"{task}: {n} transitions in {seconds:.1f} CPU s: {seconds / n * 1e6:.0f} s per million")
