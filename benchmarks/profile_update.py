"""Where one update's time goes: ``torch.profiler`` over N updates of a bench agent (eager or compiled),
operators by self CPU time. usage: python benchmarks/profile_update.py ALGO SEEDS MODE [N]"""
import sys

import torch
from torch.profiler import ProfilerActivity, profile

from acalib import bench

algo, seeds, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
n = int(sys.argv[4]) if len(sys.argv) > 4 else 50
agent, buffer, _ = bench.bench_agent(algo, seeds, "cpu", mode)
bench.time_agent(agent, buffer, 20)
with profile(activities=[ProfilerActivity.CPU]) as prof:
    for _ in range(n):
        with torch.profiler.record_function("sample"):
            batch = buffer.sample(bench.BATCH, agent.data_generators)
        with torch.profiler.record_function("update"):
            agent.update(batch)
table = prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=25)
print(f"{algo} {seeds} seeds {mode}, {n} updates, {torch.get_num_threads()} threads")
print(table)
