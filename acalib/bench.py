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
from torch.utils._python_dispatch import TorchDispatchMode

from .algos import OFFLINE_ALGOS, algo_class
from .methods import ONLINE_METHODS, online_config
from .data.buffers import ReplayBuffer, Transitions
from .spec import resolved_hyperparameters

OBS_DIM, ACT_DIM, BATCH = 17, 6, 256
BENCH_ALGOS = ("sac", "sac_ml", "aca", "cql", "awac", "td3_bc", "br")
BENCH_DATASET = "hopper-medium"  # whose group's settings ACA and BR take (only their hyperparameters depend on it)
BR_ONLINE_TRANSITIONS = 1000  # BR's buffer holds one online epoch beside the offline data
D3RLPY_SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "d3rlpy_bench.py"
INDUCTOR_CACHE = Path("runs") / ".inductor-cache"  # compiled updates, shared with the runs
D3RLPY_UPDATES = 100  # per round of the comparison with d3rlpy (each side in its own process)


def synthetic_data(n: int = 20_000, seed: int = 0) -> Transitions:
    rng = np.random.default_rng(seed)
    ends = np.zeros(n, bool)
    ends[999::1000] = True
    return Transitions(rng.standard_normal((n, OBS_DIM)), rng.uniform(-1, 1, (n, ACT_DIM)), rng.standard_normal(n),
                       rng.standard_normal((n, OBS_DIM)), np.zeros(n, bool), ends)


def make_agent(algo: str, seeds: list[int], device: str, cuda_graph: bool = False):
    """A fresh agent of ``algo``, built as a run of it is: an offline method (and SAC) with the hyperparameters its
    ``RunSpec`` resolves (the paper's defaults); an online method that starts from an offline run (ACA, BR) by its
    registry entry (``methods.ONLINE_METHODS``) from a fresh agent of the first offline method it may start from,
    with ``BENCH_DATASET``'s group settings: ACA aligned from SAC+ML; BR from a 5-member CQL ensemble per seed,
    1000 online transitions (one "epoch") in its buffer. TD3+BC: one update = one critic step, the actor every
    second step."""
    if algo not in BENCH_ALGOS:
        raise ValueError(f"unknown bench algorithm {algo!r}; valid: {list(BENCH_ALGOS)}")
    method = ONLINE_METHODS.get(algo)
    if method is None or method.from_scratch or algo in OFFLINE_ALGOS:
        return _fresh_agent(algo, seeds, device, cuda_graph)
    offline = _fresh_agent(method.starts_from[0], seeds, device)
    config = online_config(algo, {}, offline.config, BENCH_DATASET)
    agent = method.start(offline, config, cuda_graph)
    if method.attaches_buffer:  # BR samples (and re-scores) its own buffer: the offline data and an online epoch
        data = synthetic_data()
        method.make_buffer(agent, data, data, config, device, steps=BR_ONLINE_TRANSITIONS)
        for i in range(BR_ONLINE_TRANSITIONS):
            row = [i] * len(seeds)
            agent.replay.add(data.observations[row], data.actions[row], data.rewards[row],
                             data.next_observations[row], data.terminals[row], data.timeouts[row])
    return agent


def _fresh_agent(algo: str, seeds: list[int], device: str, cuda_graph: bool = False):
    cls = algo_class(algo)
    return cls(cls.config_cls.from_dict(resolved_hyperparameters(algo, {})), OBS_DIM, ACT_DIM, seeds, device, cuda_graph)


def sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def bench_agent(algo: str, runs: int, device: str, mode: str = "eager"):
    """An agent and the buffer it samples, for ``mode`` eager / graph (hand-captured CUDA graph) /
    compiled (``Agent.enable_compile``; on a GPU replayed as a CUDA graph). Returns (agent, buffer, compile_s):
    the compiled agent has taken its first update, which compiles it (0 for the other modes)."""
    agent = make_agent(algo, list(range(runs)), device, cuda_graph=mode == "graph")
    # BR samples its own prioritized buffer (three batches) and re-scores the sampled leaves: timed too
    buffer = agent.replay if algo == "br" else ReplayBuffer.from_transitions(synthetic_data(), runs, device)
    compile_s = 0.0
    if mode == "compiled":
        agent.enable_compile(INDUCTOR_CACHE)
        start = time.perf_counter()
        agent.update(buffer.sample(BATCH, agent.data_generators))
        sync(device)
        compile_s = time.perf_counter() - start
    return agent, buffer, compile_s


ROUND_S = 0.4  # --updates auto: enough updates for about this long per round (at least 5, at most 50)


def time_agent(agent, buffer, updates: int | None, warmup: int = 5) -> float:
    """Seconds per batched update (all the agent's seeds advance one step), minibatch sampling included.
    ``updates=None``: as many as take about ``ROUND_S`` seconds, judged from the warm-up."""
    device = str(agent.device)
    t = time.perf_counter()
    for _ in range(warmup):
        agent.update(buffer.sample(BATCH, agent.data_generators))
    sync(device)
    if updates is None:  # judged from the warm-up
        updates = int(np.clip(round(ROUND_S * warmup / (time.perf_counter() - t)), 5, 50))
    t = time.perf_counter()
    for _ in range(updates):
        agent.update(buffer.sample(BATCH, agent.data_generators))
    sync(device)
    return (time.perf_counter() - t) / updates


GEMM_OPS = (torch.ops.aten.mm, torch.ops.aten.bmm, torch.ops.aten.addmm, torch.ops.aten.baddbmm)


class _GemmRecorder(TorchDispatchMode):
    """Records every matrix product (op, input shapes and strides) that runs below autograd, backward included."""

    def __init__(self):
        super().__init__()
        self.calls: list[tuple] = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        if func.overloadpacket in GEMM_OPS:
            self.calls.append((func, tuple(("tensor", tuple(a.shape), a.stride(), a.dtype)
                                           if isinstance(a, torch.Tensor) else ("value", a) for a in args),
                               tuple(sorted((kwargs or {}).items()))))
        return func(*args, **(kwargs or {}))


def update_gemms(agent, buffer, updates: int = 2) -> list[tuple]:
    """The matrix products of ``updates`` eager updates of ``agent``, as (op, argument layouts, keywords).
    Two by default: TD3+BC moves its actor every second update."""
    recorder = _GemmRecorder()
    for _ in range(updates):
        batch = buffer.sample(BATCH, agent.data_generators)
        with recorder:
            agent.update(batch)
    return recorder.calls


def _random_strided(shape: tuple, stride: tuple, dtype: torch.dtype, device) -> torch.Tensor:
    """A random tensor with this layout (a broadcast bias has stride 0: its storage is smaller than its shape)."""
    storage = 1 + sum((n - 1) * st for n, st in zip(shape, stride))
    return torch.randn(storage, dtype=dtype, device=device).as_strided(shape, stride)


def gemm_floor(agent, buffer, repeats: int = 10, updates: int = 2) -> float:
    """Seconds per update of its matrix products alone: every product ``updates`` eager updates run (recorded
    below autograd, backward included) replayed on its own, same op, shapes and strides, summed and divided
    by ``updates``. The update cannot be faster on the same kernels; what it spends above is everything else."""
    device = agent.device
    counts: dict[tuple, int] = {}
    for call in update_gemms(agent, buffer, updates):
        counts[call] = counts.get(call, 0) + 1
    total = 0.0
    for (func, layouts, kwargs), n in counts.items():
        args = [_random_strided(*layout[1:], device) if layout[0] == "tensor" else layout[1] for layout in layouts]
        for _ in range(3):
            func(*args, **dict(kwargs))
        sync(str(device))
        t = time.perf_counter()
        for _ in range(repeats):
            func(*args, **dict(kwargs))
        sync(str(device))
        total += n * (time.perf_counter() - t) / repeats
    return total / updates


def d3rlpy_ms(python: str, algo: str, updates: int) -> dict:
    out = subprocess.run([python, str(D3RLPY_SCRIPT), "--algo", algo, "--updates", str(updates)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def bench_modes(algo: str, device: str, compile: bool, cuda_graph: bool) -> list[str]:
    """The update modes timed for ``algo``: eager, compiled (unless refused or not asked) and, on a GPU,
    the hand-captured CUDA graph."""
    cls = algo_class(algo)
    modes = ["eager"]
    if compile and not cls.no_compile_reason:
        modes.append("compiled")
    if cuda_graph and device.startswith("cuda") and not cls.no_graph_reason:
        modes.append("graph")
    return modes


def main(args) -> dict:
    """Time every (method, seed count) in ``rounds`` rounds that alternate the modes (so drifts in
    machine load hit each mode alike) and report medians beside the update's own GEMM floor."""
    from .experiment import resolve_device
    from .seeding import parse_seeds

    device = resolve_device(args.device)
    seed_counts = parse_seeds(args.seeds)
    algos = [a.strip() for a in args.algos.split(",")]
    for algo in algos:
        if algo not in BENCH_ALGOS:
            raise ValueError(f"unknown bench algorithm {algo!r}; valid: {list(BENCH_ALGOS)}")
    name = torch.cuda.get_device_name() if device.startswith("cuda") else f"CPU, {torch.get_num_threads()} threads"
    print(f"acalib bench on {device} ({name}), torch {torch.__version__}, batch {BATCH}, obs {OBS_DIM}, "
          f"act {ACT_DIM}; medians of {args.rounds} alternating rounds of "
          f"{args.updates or f'~{ROUND_S} s of'} updates")
    results = {"device": device, "device_name": name, "torch": torch.__version__, "threads": torch.get_num_threads(),
               "updates": args.updates, "rounds": args.rounds, "rows": []}
    print(f"{'algo':8s} {'seeds':>5s} {'mode':>9s} {'ms/update':>10s} {'x floor':>8s} {'seed-updates/s':>15s} "
          f"{'compile s':>10s}")
    for algo in algos:
        for s in seed_counts:
            modes = bench_modes(algo, device, getattr(args, "compile", True), getattr(args, "cuda_graph", False))
            agents = {mode: bench_agent(algo, s, device, mode) for mode in modes}
            floor = gemm_floor(*agents["eager"][:2])
            times = {mode: [] for mode in modes}
            for i in range(args.rounds):  # warmed up in the first round; later rounds take one update first
                for mode, (agent, buffer, _) in agents.items():
                    times[mode].append(time_agent(agent, buffer, args.updates, warmup=5 if i == 0 else 1))
            for mode in modes:
                dt = float(np.median(times[mode]))
                row = {"algo": algo, "seeds": s, "mode": mode, "ms_per_update": 1e3 * dt,
                       "ms_rounds": [1e3 * t for t in times[mode]], "gemm_floor_ms": 1e3 * floor,
                       "x_floor": dt / floor, "seed_updates_per_s": s / dt, "compile_s": agents[mode][2]}
                results["rows"].append(row)
                compile_s = f"{row['compile_s']:10.1f}" if mode == "compiled" else f"{'':10s}"
                print(f"{algo:8s} {s:5d} {mode:>9s} {1e3 * dt:10.2f} {dt / floor:8.2f} {s / dt:15.1f} {compile_s}")
            print(f"{algo:8s} {s:5d} {'GEMMs':>9s} {1e3 * floor:10.2f} {1.0:8.2f}")

    if args.d3rlpy_python:
        compile = getattr(args, "compile", True)
        for algo in [a for a in ("sac", "cql") if a in algos]:
            n = args.updates or D3RLPY_UPDATES
            ours = {mode: bench_agent(algo, 1, device, mode) for mode in ("eager", *(("compiled",) if compile else ()))}
            times = {mode: [] for mode in (*ours, "d3rlpy")}
            for _ in range(args.rounds):  # alternate, so drifts in machine load hit all alike
                for mode, (agent, buffer, _) in ours.items():
                    times[mode].append(1e3 * time_agent(agent, buffer, n))
                times["d3rlpy"].append(d3rlpy_ms(args.d3rlpy_python, algo, n)["ms_per_update"])
            median = {mode: float(np.median(t)) for mode, t in times.items()}
            results[f"d3rlpy_{algo}"] = {"ms_rounds": times, "ms": median,
                                         **{f"speedup_{m}": median["d3rlpy"] / median[m] for m in ours}}
            print(f"{algo.upper()} vs d3rlpy 2.8.1, 1 seed ({args.rounds} alternating rounds of {n} updates, medians): "
                  f"d3rlpy {median['d3rlpy']:.2f} ms; " + ", ".join(
                      f"acalib {m} {median[m]:.2f} ms ({median['d3rlpy'] / median[m]:.2f}x)" for m in ours))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return results


if __name__ == "__main__":
    sys.exit(main(None))
