"""ACA online from an intermediate SAC+ML checkpoint (investigating ACA's collapse after ~2k online steps).
Diagnostics only: not a claims-profile run. usage: python benchmarks/aca_switch_diagnostic.py CKPT OUT STEPS [key=value ...]"""
import sys, json
import torch
torch.set_num_threads(1)
from acalib.algos import SACML, SACMLConfig, ACA, aca_config
from acalib.data.buffers import ReplayBuffer, top_n_episodes
from acalib.data.datasets import load_dataset
from acalib.runs import RunDir
from acalib.checkpoint import load_checkpoint
from acalib.train.loop import LoopSettings, train_online
import numpy as np

ckpt, out, steps = sys.argv[1], sys.argv[2], int(sys.argv[3])
overrides = {k: json.loads(v) for k, v in (a.split("=", 1) for a in sys.argv[4:])}
state = load_checkpoint(ckpt)["agent"]
off = SACML(SACMLConfig.from_dict(state["config"]), state["obs_dim"], state["act_dim"], state["seeds"])
off.load_state(state)
config = aca_config("medium", base=off.config, **overrides)
agent = ACA.from_offline(off, config)
ds = load_dataset("hopper-medium")
prefill = top_n_episodes(ds.transitions, config.n_trajs) if config.n_trajs else ds.transitions.take(np.arange(0))
buffer = ReplayBuffer(agent.runs, 1_000_000, ds.transitions.obs_dim, ds.transitions.act_dim, "cpu", prefix=prefill, max_added=steps)
run = RunDir(out)
run.prepare({"stage": "online", "investigation": ckpt, "overrides": overrides, "steps": steps})
train_online(agent, buffer, run, "hopper", (ds.ref_min, ds.ref_max), LoopSettings(steps=steps, eval_interval=500, eval_episodes=5, progress=False))
import pandas as pd
m = pd.read_csv(run.metrics_path)
cols = [c for c in ("normalized_score", "alpha", "k", "clipped_log_pi0", "q_mean", "entropy", "critic_loss") if c in m]
print(m.groupby("step")[cols].mean().round(2).to_string())
print(m.pivot_table(index="step", columns="seed", values="normalized_score").round(1).to_string())
