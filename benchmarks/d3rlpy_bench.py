"""Baseline: d3rlpy 2.8.1 SAC / CQL gradient-update speed on CPU.

d3rlpy 2.8.1 pins gymnasium 1.0, so it lives in its own venv (CPU torch first,
so pip never pulls a CUDA build):

    python3 -m venv .venv-d3rlpy
    .venv-d3rlpy/bin/pip install torch==2.13.0      # resolves to 2.13.0+cpu here
    .venv-d3rlpy/bin/pip install d3rlpy==2.8.1

Run:  .venv-d3rlpy/bin/python benchmarks/d3rlpy_bench.py --algo sac --updates 200

Settings follow the ACA paper: 2x256 ReLU MLPs, batch 256, gamma 0.99,
tau 0.005, Adam, two critics. SAC: lr 3e-4 (actor/critic/temp). CQL: actor
1e-4, critic 3e-4, temp 1e-4, conservative weight 10, 10 action samples, fixed
alpha = 1 (alpha_learning_rate=0 disables Lagrangian tuning).

Timed: `algo.update(batch)` -- the same call `fit()` makes each step: numpy ->
torch conversion of the mini-batch (TorchMiniBatch.from_batch) plus the full
critic/actor/temperature (and for CQL the conservative-loss) forward, backward,
Adam steps and target-network update. With --impl, only
`algo.impl.update(torch_batch, step)` is timed on pre-converted batches.
Not timed: dataset building, replay-buffer sampling (all W+N batches are
sampled beforehand), fit()'s logging/metrics bookkeeping.
"""

import argparse
import json
import sys
import time

import numpy as np
import torch
import d3rlpy
import structlog
from d3rlpy.models.encoders import VectorEncoderFactory
from d3rlpy.torch_utility import TorchMiniBatch

# d3rlpy logs to stdout via structlog; send it to stderr so stdout is one JSON line.
structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stderr))

OBS_DIM, ACT_DIM, N_TRANSITIONS, EP_LEN = 17, 6, 20_000, 1000


def make_dataset(seed: int = 0) -> d3rlpy.dataset.MDPDataset:
    rng = np.random.default_rng(seed)
    terminals = np.zeros(N_TRANSITIONS, dtype=np.float32)
    timeouts = np.zeros(N_TRANSITIONS, dtype=np.float32)
    terminals[rng.choice(N_TRANSITIONS, 10, replace=False)] = 1.0  # a few true terminals
    timeouts[EP_LEN - 1 :: EP_LEN] = 1.0                          # time-limit ends
    timeouts[terminals == 1.0] = 0.0
    return d3rlpy.dataset.MDPDataset(
        observations=rng.standard_normal((N_TRANSITIONS, OBS_DIM), dtype=np.float32),
        actions=rng.uniform(-1, 1, (N_TRANSITIONS, ACT_DIM)).astype(np.float32),
        rewards=rng.standard_normal(N_TRANSITIONS, dtype=np.float32),
        terminals=terminals,
        timeouts=timeouts,
        action_space=d3rlpy.ActionSpace.CONTINUOUS,
    )


def make_algo(name: str):
    common = dict(
        actor_encoder_factory=VectorEncoderFactory(hidden_units=[256, 256], activation="relu"),
        critic_encoder_factory=VectorEncoderFactory(hidden_units=[256, 256], activation="relu"),
        batch_size=256, gamma=0.99, tau=0.005, n_critics=2, initial_temperature=1.0,
    )
    if name == "sac":
        cfg = d3rlpy.algos.SACConfig(
            actor_learning_rate=3e-4, critic_learning_rate=3e-4, temp_learning_rate=3e-4, **common
        )
    else:
        cfg = d3rlpy.algos.CQLConfig(
            actor_learning_rate=1e-4, critic_learning_rate=3e-4, temp_learning_rate=1e-4,
            alpha_learning_rate=0.0, initial_alpha=1.0, conservative_weight=10.0,
            n_action_samples=10, **common
        )
    return cfg.create(device="cpu:0")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--algo", choices=["sac", "cql"], required=True)
    p.add_argument("--updates", type=int, default=300)
    p.add_argument("--warmup", type=int, default=30)
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--impl", action="store_true", help="time impl.update on pre-converted batches")
    args = p.parse_args()
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    d3rlpy.seed(0)

    dataset = make_dataset()
    algo = make_algo(args.algo)
    algo.build_with_dataset(dataset)
    batches = [dataset.sample_transition_batch(256) for _ in range(args.warmup + args.updates)]

    if args.impl:
        cfg = algo.config
        batches = [
            TorchMiniBatch.from_batch(b, gamma=cfg.gamma, compute_returns_to_go=False, device="cpu:0")
            for b in batches
        ]
        step = lambda i, b: algo.impl.update(b, i)  # noqa: E731
    else:
        step = lambda i, b: algo.update(b)  # noqa: E731

    for i in range(args.warmup):
        step(i, batches[i])
    t0 = time.perf_counter()
    for i in range(args.warmup, args.warmup + args.updates):
        step(i, batches[i])
    elapsed = time.perf_counter() - t0

    print(json.dumps({
        "library": "d3rlpy", "version": d3rlpy.__version__, "algo": args.algo,
        "path": "impl.update" if args.impl else "algo.update",
        "ms_per_update": round(1e3 * elapsed / args.updates, 3),
        "updates_per_s": round(args.updates / elapsed, 2),
        "threads": torch.get_num_threads(), "torch": torch.__version__,
    }))


if __name__ == "__main__":
    main()
