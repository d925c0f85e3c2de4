"""``acalib bench``: gradient updates per second per seed, on the current device.

Each method is timed on synthetic data (obs 17, act 6: HalfCheetah / Walker2d sizes),
batch 256, 2 x 256 MLPs, for S seeds batched in one process. The time includes sampling
the minibatch from the device-resident buffer. The matrix-multiply floor is the time of
the update's GEMMs alone (forward, input- and weight-gradients), each timed with the same
batched kernel. With ``--d3rlpy-python`` the same update of d3rlpy 2.8.1 is timed in its own
virtual environment (benchmarks/d3rlpy_bench.py), alternating with acalib round by round.
"""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch

from .algos import (ACA, AWAC, BR, CQL, SAC, SACML, TD3BC, AWACConfig, BRConfig, CQLConfig, CQLEnsemble,
                    CQLEnsembleConfig, SACConfig, SACMLConfig, TD3BCConfig, aca_config, algo_class)
from .data.balanced_replay import BalancedReplayBuffer
from .data.buffers import ReplayBuffer, Transitions

OBS_DIM, ACT_DIM, BATCH = 17, 6, 256
BENCH_ALGOS = ("sac", "sac_ml", "aca", "cql", "awac", "td3_bc", "br")
D3RLPY_SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "d3rlpy_bench.py"


def synthetic_data(n: int = 20_000, seed: int = 0) -> Transitions:
    rng = np.random.default_rng(seed)
    ends = np.zeros(n, bool)
    ends[999::1000] = True
    return Transitions(rng.standard_normal((n, OBS_DIM)), rng.uniform(-1, 1, (n, ACT_DIM)), rng.standard_normal(n),
                       rng.standard_normal((n, OBS_DIM)), np.zeros(n, bool), ends)


def make_agent(algo: str, seeds: list[int], device: str, cuda_graph: bool = False):
    if algo == "sac":
        return SAC(SACConfig(), OBS_DIM, ACT_DIM, seeds, device, cuda_graph)
    if algo == "cql":
        return CQL(CQLConfig(), OBS_DIM, ACT_DIM, seeds, device, cuda_graph)
    if algo == "awac":
        return AWAC(AWACConfig(), OBS_DIM, ACT_DIM, seeds, device, cuda_graph)
    if algo == "td3_bc":  # one update = one critic step, the actor every second step (both counted)
        return TD3BC(TD3BCConfig(), OBS_DIM, ACT_DIM, seeds, device, cuda_graph)
    offline = SACML(SACMLConfig(), OBS_DIM, ACT_DIM, seeds, device, cuda_graph and algo == "sac_ml")
    if algo == "sac_ml":
        return offline
    if algo == "aca":
        return ACA.from_offline(offline, aca_config("medium", base=offline.config), cuda_graph)
    if algo == "br":  # from a 5-member CQL ensemble per seed; 1000 online transitions (one "epoch") in its buffer
        agent = BR.from_offline(CQLEnsemble(CQLEnsembleConfig(), OBS_DIM, ACT_DIM, seeds, device), BRConfig(),
                                cuda_graph)
        data = synthetic_data()
        agent.attach(BalancedReplayBuffer(len(seeds), data, device=device))
        for i in range(1000):
            row = [i] * len(seeds)
            agent.replay.add(data.observations[row], data.actions[row], data.rewards[row],
                             data.next_observations[row], data.terminals[row], data.timeouts[row])
        return agent
    raise ValueError(f"unknown bench algorithm {algo!r}; valid: {list(BENCH_ALGOS)}")


def sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def time_updates(algo: str, runs: int, device: str, updates: int, warmup: int = 20, cuda_graph: bool = False) -> float:
    """Seconds per batched update (all ``runs`` seeds advance one step)."""
    agent = make_agent(algo, list(range(runs)), device, cuda_graph)
    # BR samples its own prioritized buffer (three batches) and re-scores the sampled leaves: timed too
    buffer = agent.replay if algo == "br" else ReplayBuffer.from_transitions(synthetic_data(), runs, device)
    for _ in range(warmup):
        agent.update(buffer.sample(BATCH, agent.data_generators))
    sync(device)
    t = time.perf_counter()
    for _ in range(updates):
        agent.update(buffer.sample(BATCH, agent.data_generators))
    sync(device)
    return (time.perf_counter() - t) / updates


def sac_gemms(runs: int, hidden: int = 256, n_critics: int = 2) -> list[tuple[int, int, int, int]]:
    """(members, m, k, n) of every matrix product in one SAC update, backward included."""
    def mlp(members, sizes, forward, input_grads, weight_grads):
        out = []
        layers = list(zip(sizes[:-1], sizes[1:]))
        out += [(members, BATCH, i, o) for i, o in layers] * forward
        for li, (i, o) in enumerate(layers):
            out += [(members, i, BATCH, o)] * weight_grads  # dW = x^T dy
            if li > 0 or input_grads == "all":
                out += [(members, BATCH, o, i)] * (1 if input_grads else 0)  # dx = dy W^T
        return out

    actor = [OBS_DIM, hidden, hidden, 2 * ACT_DIM]
    critic = [OBS_DIM + ACT_DIM, hidden, hidden, 1]
    c = runs * n_critics
    return (mlp(runs, actor, 2, True, 1)  # pi at s (with backward) and at s'
            + mlp(c, critic, 2, True, 1)  # target critics at s' (forward only) + critic loss with backward
            + mlp(c, critic, 1, "all", 0))  # actor loss: critic forward, gradients to the action only


def matmul_floor(runs: int, device: str, repeats: int = 50) -> float:
    """Seconds of the SAC update's GEMMs alone, each timed with ``baddbmm``."""
    total = 0.0
    for members, m, k, n in sac_gemms(runs):
        a = torch.randn(members, m, k, device=device)
        b = torch.randn(members, k, n, device=device)
        c = torch.randn(members, 1, n, device=device)
        for _ in range(5):
            torch.baddbmm(c, a, b)
        sync(device)
        t = time.perf_counter()
        for _ in range(repeats):
            torch.baddbmm(c, a, b)
        sync(device)
        total += (time.perf_counter() - t) / repeats
    return total


def d3rlpy_ms(python: str, algo: str, updates: int) -> dict:
    out = subprocess.run([python, str(D3RLPY_SCRIPT), "--algo", algo, "--updates", str(updates)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(args) -> dict:
    from .experiment import resolve_device
    from .seeding import parse_seeds

    device = resolve_device(args.device)
    seed_counts = parse_seeds(args.seeds)
    algos = [a.strip() for a in args.algos.split(",")]
    name = torch.cuda.get_device_name() if device.startswith("cuda") else f"CPU, {torch.get_num_threads()} threads"
    print(f"acalib bench on {device} ({name}), torch {torch.__version__}, batch {BATCH}, obs {OBS_DIM}, act {ACT_DIM}")
    results = {"device": device, "device_name": name, "torch": torch.__version__, "rows": []}
    print(f"{'algo':8s} {'mode':>6s} {'seeds':>5s} {'ms/update':>10s} {'updates/s/seed':>15s} {'seed-updates/s':>15s}")
    modes = ["eager", "graph"] if getattr(args, "cuda_graph", False) else ["eager"]
    for algo in algos:
        for mode in modes:
            if mode == "graph" and algo_class(algo).no_graph_reason:
                continue
            for s in seed_counts:
                dt = time_updates(algo, s, device, args.updates, cuda_graph=mode == "graph")
                row = {"algo": algo, "mode": mode, "seeds": s, "ms_per_update": 1e3 * dt,
                       "updates_per_s_per_seed": 1 / dt, "seed_updates_per_s": s / dt}
                results["rows"].append(row)
                print(f"{algo:8s} {mode:>6s} {s:5d} {1e3 * dt:10.2f} {1 / dt:15.1f} {s / dt:15.1f}")
    floor = matmul_floor(1, device)
    sac1 = next((r for r in results["rows"] if r["algo"] == "sac" and r["seeds"] == 1 and r["mode"] == "eager"), None)
    results["sac_matmul_floor_ms"] = 1e3 * floor
    line = f"SAC matrix-multiply floor (1 seed): {1e3 * floor:.2f} ms"
    if sac1:
        line += f"; SAC update = {sac1['ms_per_update'] / (1e3 * floor):.2f} x floor"
    print(line)

    if args.d3rlpy_python:
        for algo in [a for a in ("sac", "cql") if a in algos]:
            ours, theirs = [], []
            for _ in range(args.rounds):  # alternate, so drifts in machine load hit both alike
                ours.append(1e3 * time_updates(algo, 1, device, args.updates))
                theirs.append(d3rlpy_ms(args.d3rlpy_python, algo, args.updates)["ms_per_update"])
            o, t = float(np.median(ours)), float(np.median(theirs))
            results[f"d3rlpy_{algo}"] = {"acalib_ms": ours, "d3rlpy_ms": theirs, "speedup": t / o}
            print(f"{algo.upper()} vs d3rlpy 2.8.1 ({args.rounds} alternating rounds, median): acalib {o:.2f} ms, "
                  f"d3rlpy {t:.2f} ms -> {t / o:.2f}x")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return results


if __name__ == "__main__":
    sys.exit(main(None))
