"""Where a claims-profile run's wall time goes, by loop phase (``acalib.train.loop.PHASES``).

One segment of each run kind is trained single-threaded with the claims profile's settings (5 seeds for
SAC+ML and ACA, CQL's 3; the loop, batch, evaluation of 10 episodes and checkpoints as in the profile) and
its phases are scaled to the full run: per-step phases by full steps / segment steps, per-evaluation phases
(evaluation, logging, checkpoint) by the full run's number of evaluations; a compiled update's compile time
(its first update) once. SAC+ML and ACA start from a
SAC+ML checkpoint (``--from``: a claims hopper-medium ``last.pt``), so evaluation episodes are as long as a
partly trained policy's; CQL starts fresh (its evaluations are then shorter than a trained policy's).

usage: python benchmarks/profile_runs.py --from CKPT --out results/bench/profile-runs.json [--kinds sac_ml,aca,cql]
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from acalib.algos import ACA, CQL, SACML, CQLConfig, SACMLConfig, aca_config
from acalib.data.buffers import ReplayBuffer, top_n_episodes
from acalib.data.datasets import load_dataset
from acalib.profiles import get_profile
from acalib.runs import RunDir
from acalib.checkpoint import load_checkpoint
from acalib.train.loop import PHASES, LoopSettings, train_offline, train_online

PER_EVALUATION = ("evaluation", "logging", "checkpoint")


def offline_agent(ckpt: str) -> SACML:
    state = load_checkpoint(ckpt)["agent"]
    agent = SACML(SACMLConfig.from_dict(state["config"]), state["obs_dim"], state["act_dim"], state["seeds"])
    agent.load_state(state)
    return agent


def segment(kind: str, ckpt: str, steps: int, root: Path, compile: bool) -> tuple[dict, int]:
    """Train one segment of ``steps`` steps ending in one evaluation and checkpoint; its phases (the run summary)."""
    profile = get_profile("claims")
    ds = load_dataset("hopper-medium")
    ref = (ds.ref_min, ds.ref_max)
    run = RunDir(root / kind)
    run.prepare({"stage": kind, "profile_segment": steps})
    if kind == "aca":
        off = offline_agent(ckpt)
        config = aca_config("medium", base=off.config)
        agent = ACA.from_offline(off, config)
        prefill = top_n_episodes(ds.transitions, config.n_trajs) if config.n_trajs else ds.transitions.take(np.arange(0))
        buffer = ReplayBuffer(agent.runs, 1_000_000, ds.transitions.obs_dim, ds.transitions.act_dim, "cpu",
                              prefix=prefill, max_added=profile.online_steps)
        if compile:
            agent.enable_compile(root / ".inductor-cache")
        train_online(agent, buffer, run, "hopper", ref, LoopSettings(steps=steps, eval_interval=steps,
                     eval_episodes=profile.eval_episodes, progress=False), evaluate_at_start=False)
    else:
        if kind == "sac_ml":
            agent = offline_agent(ckpt)
        else:
            agent = CQL(CQLConfig(), ds.transitions.obs_dim, ds.transitions.act_dim, list(profile.baseline_seeds))
        if compile:
            agent.enable_compile(root / ".inductor-cache")
        data = ReplayBuffer.from_transitions(ds.transitions, agent.runs, "cpu")
        train_offline(agent, data, run, "hopper", ref, LoopSettings(steps=agent.step + steps, eval_interval=steps,
                      eval_episodes=profile.eval_episodes, progress=False))
    phases = run.summary()["phase_s"]
    phases["update"] -= agent.compile_s  # paid once per run, not per segment
    return {**phases, "compile": agent.compile_s}, agent.runs


def full_run(kind: str) -> tuple[int, int]:
    """(steps, evaluations) of the full claims-profile run of this kind."""
    p = get_profile("claims")
    if kind == "sac_ml":
        return p.offline_steps, p.offline_steps // p.offline_eval_interval
    if kind == "cql":
        return p.baseline_offline_steps, p.baseline_offline_steps // p.offline_eval_interval
    return p.online_steps, p.online_steps // p.eval_interval + 1  # and the evaluation at step 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="ckpt", required=True, help="a SAC+ML hopper-medium checkpoint (last.pt)")
    parser.add_argument("--kinds", default="sac_ml,aca,cql")
    parser.add_argument("--steps", default="sac_ml=2000,aca=1000,cql=300", help="segment steps per kind")
    parser.add_argument("--compile", action="store_true")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    torch.set_num_threads(1)
    seg_steps = {k: int(v) for k, v in (x.split("=") for x in args.steps.split(","))}
    out = Path(args.out)
    results = json.loads(out.read_text()) if out.is_file() else {}
    for kind in args.kinds.split(","):
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            phases, seeds = segment(kind, args.ckpt, seg_steps[kind], Path(tmp), args.compile)
            wall = time.perf_counter() - start
        steps, evaluations = full_run(kind)
        scale = {p: (evaluations if p in PER_EVALUATION else steps / seg_steps[kind]) for p in (*PHASES, "other")}
        scale["compile"] = 1  # once per run
        full_s = {p: phases[p] * scale[p] for p in phases}
        total = sum(full_s.values())
        key = f"{kind}{'-compiled' if args.compile else ''}"
        results[key] = {"seeds": seeds, "segment_steps": seg_steps[kind], "segment_s": phases, "segment_wall_s": wall,
                        "full_steps": steps, "full_evaluations": evaluations, "full_run_s": full_s,
                        "full_run_h": total / 3600}
        print(f"{key}: {seeds} seeds, segment of {seg_steps[kind]} steps in {wall:.0f} s -> full run "
              f"({steps} steps, {evaluations} evaluations) {total / 3600:.2f} h")
        for p, s in sorted(full_s.items(), key=lambda kv: -kv[1]):
            print(f"  {p:11s} {s / 3600:7.3f} h  {100 * s / total:5.1f} %")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
