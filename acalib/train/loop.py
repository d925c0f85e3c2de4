"""The offline and online training loops, with evaluation, metrics, checkpoints and resume.

Offline: ``steps`` gradient steps on a dataset. Online: one environment step per run, then one
update (``agent.updates_per_step``: BR may take more in its first epoch) once the buffer holds
more than a batch (paper App. E.3). Every ``eval_interval`` steps
each run is evaluated and a row per seed goes to ``metrics.csv``; every ``checkpoint_interval``
steps (default: every evaluation; and at the end) ``checkpoints/last.pt`` is rewritten. A killed run resumes from it
(online environments then start fresh episodes). An online run resumed from a checkpoint without its replay buffer (a
zoo run's resume point, ``runs.snapshot_run(drop_buffer=True)``) starts with an empty one and takes no update until
it has collected ``REFILL_STEPS`` transitions with its current policy; the steps where that happened are kept as
``buffer_restarts`` in its checkpoints and done summary.
"""
from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field

import numpy as np
import torch
from tqdm.auto import tqdm

from .. import seeding
from ..data.buffers import ReplayBuffer
from ..envs import EnvBatch, normalized_score, torch_threads
from ..runs import RunDir
from ..checkpoint import load_checkpoint, save_checkpoint
from .evaluate import Evaluator

REFILL_STEPS = 10_000  # environment steps collected, without updates, by an online run resumed without its buffer


class NonFiniteLossError(RuntimeError):
    """A loss or statistic became NaN or infinite; training stopped before saving it."""


@dataclass
class _KeySums:
    """Running sums of one set of statistics keys: (K, R) sums, steps counted, first non-finite step per key."""
    sums: torch.Tensor
    count: int
    first_bad: torch.Tensor


class StatsAccumulator:
    """Sums per-run statistics on the device (no host sync per step) and remembers the
    first step at which each one stopped being finite.

    Steps may report different statistics (SAC's burn-in has no actor loss yet): each set of
    keys is summed on its own, and a key's mean is over the steps that reported it."""

    def __init__(self):
        self.groups: dict[tuple[str, ...], _KeySums] = {}

    def add(self, step: int, stats: dict[str, torch.Tensor]) -> None:
        values = torch.stack(list(stats.values()))  # (K, R)
        group = self.groups.get(keys := tuple(stats))
        if group is None:
            group = self.groups[keys] = _KeySums(torch.zeros_like(values), 0, torch.full(
                (len(keys),), -1, dtype=torch.long, device=values.device))
        group.sums += values
        group.count += 1
        bad = ~torch.isfinite(values).all(dim=1)
        group.first_bad = torch.where(bad & (group.first_bad < 0), step, group.first_bad)

    def check_finite(self) -> None:
        bad = [(s, k) for keys, group in self.groups.items()
               for s, k in zip(group.first_bad.cpu().tolist(), keys) if s >= 0]
        if bad:
            step, key = min(bad)
            raise NonFiniteLossError(f"non-finite {key} at step {step}")

    def means(self) -> dict[str, np.ndarray]:
        """Per-run means since the last call (each key over the steps that reported it); resets."""
        sums: dict[str, np.ndarray] = {}
        counts: dict[str, int] = {}
        for keys, group in self.groups.items():
            if group.count:
                for k, v in zip(keys, group.sums.cpu().numpy()):
                    sums[k] = sums.get(k, 0.0) + v
                    counts[k] = counts.get(k, 0) + group.count
            group.sums.zero_()
            group.count = 0
        return {k: sums[k] / counts[k] for k in sums}


PHASES = ("update", "sample", "env", "evaluation", "checkpoint", "logging")


@dataclass
class PhaseTimes:
    """Wall seconds per phase of a loop (``PHASES``), summed since the run started (across resumes).
    On a GPU the update's kernels run asynchronously: their time lands where the host next waits."""
    seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(PHASES, 0.0))

    @contextlib.contextmanager
    def __call__(self, phase: str):
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[phase] += time.perf_counter() - start

    def load(self, saved: dict | None) -> None:
        """Restore from a checkpoint (absent from checkpoints written before acalib timed phases)."""
        for phase, s in (saved or {}).items():
            self.seconds[phase] = float(s)

    def table(self, total_s: float) -> dict[str, float]:
        """The phases, and ``other``: the rest of ``total_s`` (progress bar, statistics, Python around them)."""
        return {**{k: round(v, 3) for k, v in self.seconds.items()},
                "other": round(max(total_s - sum(self.seconds.values()), 0.0), 3)}


@dataclass
class LoopSettings:
    """A run's loop: its length, evaluation, and checkpoints (by default at every evaluation, so that a
    killed run loses at most one evaluation interval). Checked when made, before anything is written."""
    steps: int
    eval_interval: int = 1000
    eval_episodes: int = 10
    checkpoint_interval: int | None = None  # None: eval_interval
    policy_snapshots: bool = False  # also keep policies/step_XXXXXXX.pt at every checkpoint (the zoo)
    progress: bool = True

    def __post_init__(self):
        if self.checkpoint_interval is None:
            self.checkpoint_interval = self.eval_interval
        for name, flag in (("steps", "--steps"), ("eval_interval", "--eval-interval"),
                           ("eval_episodes", "--eval-episodes"), ("checkpoint_interval", "--checkpoint-interval")):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{flag} must be a positive integer, got {value!r}")


class Loop:
    """Shared by the offline and online loops: evaluation rows, checkpoints, progress."""

    def __init__(self, agent, run: RunDir, env: str, ref: tuple[float, float], settings: LoopSettings,
                 stage: str, buffer: ReplayBuffer | None = None, evaluates_at_start: bool = False):
        self.agent, self.run, self.settings, self.stage, self.buffer = agent, run, settings, stage, buffer
        self.evaluates_at_start = evaluates_at_start  # an evaluation at step 0 (online, actor-only)
        self.ref = ref
        self.evaluator = Evaluator(env, agent.seeds, settings.eval_episodes)
        self.stats = StatsAccumulator()
        self.last_return = float("nan")
        self.t0 = time.perf_counter()
        self.elapsed_before = 0.0
        self.eval_s = 0.0  # wall time spent evaluating, included in ``elapsed``
        self.phase = PhaseTimes()
        # phases are timed from this step and loop clock: (0, 0) unless resumed from a checkpoint older than phase times
        self.timed_from = (0, 0.0)
        self.buffer_restarts: list[int] = []  # steps at which an online run resumed without its replay buffer
        self.updates_from = 0  # an online run takes no update at or before this step (a buffer being refilled)

    def checkpoint_state(self, loop_state: dict) -> dict:
        state = {"agent": self.agent.state(), "loop": {**loop_state, "elapsed": self.elapsed(), "eval_s": self.eval_s,
                                                        "phase_s": dict(self.phase.seconds), "timed_from": list(self.timed_from),
                                                        "buffer_restarts": list(self.buffer_restarts),
                                                        "updates_from": self.updates_from},
                 "evaluator_rounds": self.evaluator.rounds}
        if self.buffer is not None:
            state["buffer"] = self.buffer.state()
        return state

    def resume(self) -> dict:
        """Load ``last.pt`` into the agent (and buffer: a checkpoint without one leaves it as it is and
        starts a refill, ``REFILL_STEPS``); returns the saved loop state."""
        state = load_checkpoint(self.run.last_checkpoint, self.agent.device)
        self.agent.load_state(state["agent"])
        self.buffer_restarts = [int(s) for s in state["loop"].get("buffer_restarts", [])]
        self.updates_from = int(state["loop"].get("updates_from", 0))
        if self.buffer is not None and "buffer" in state:
            self.buffer.load_state(state["buffer"])
        elif self.buffer is not None:
            self.buffer_restarts.append(int(state["loop"]["step"]))
            self.updates_from = int(state["loop"]["step"]) + REFILL_STEPS
        self.evaluator.rounds = int(state["evaluator_rounds"])
        self.elapsed_before = float(state["loop"]["elapsed"])
        self.eval_s = float(state["loop"].get("eval_s", 0.0))  # absent from checkpoints before acalib recorded it
        self.phase.load(state["loop"].get("phase_s"))
        step, elapsed = state["loop"].get("timed_from", (state["loop"]["step"], self.elapsed_before))
        self.timed_from = (int(step), float(elapsed))
        step, interval = int(state["loop"]["step"]), self.settings.eval_interval
        evaluations = [*([0] if self.evaluates_at_start else []), *range(interval, step + 1, interval),
                       *([step] if step == self.settings.steps and step % interval else [])]
        self.run.resume_metrics(step, self.agent.seeds, evaluations)
        return state["loop"]

    def elapsed(self) -> float:
        return self.elapsed_before + time.perf_counter() - self.t0

    def start(self, resume: bool) -> dict:
        """Resume from ``last.pt``, or start afresh (dropping metric rows of a run killed before
        its first checkpoint). Returns the loop state."""
        if resume:
            return self.resume()
        self.run.truncate_metrics(-1)
        return {"step": 0}

    def save(self, loop_state: dict, final: bool = False) -> None:
        with self.phase("checkpoint"):
            self._save(loop_state, final)

    def _save(self, loop_state: dict, final: bool) -> None:
        self.stats.check_finite()  # never write a checkpoint past a non-finite loss
        state = self.checkpoint_state(loop_state)
        if self.settings.policy_snapshots:
            save_checkpoint(self.run.path / "policies" / f"step_{loop_state['step']:07d}.pt",
                            {"actor": self.agent.actor.state_dict(), "step": loop_state["step"],
                             "seeds": self.agent.seeds, "last_return": self.last_return})
        if final:  # before last.pt: a run whose last.pt is final always has final.pt
            save_checkpoint(self.run.final_checkpoint, state)
        save_checkpoint(self.run.last_checkpoint, state)

    def finish(self, loop_state: dict, summary: dict) -> None:
        if not self.run.final_checkpoint.is_file():
            self.save(loop_state, final=True)
        self.evaluator.close()
        elapsed = self.elapsed()
        restarts = {"buffer_restarts": self.buffer_restarts} if self.buffer_restarts else {}
        self.run.mark_done({**summary, **restarts, "time_s": elapsed, "last_return": self.last_return,
                            "phase_s": self.phase.table(elapsed - self.timed_from[1]),
                            "phases_timed_from_step": self.timed_from[0]})

    def evaluate(self, step: int, extra: dict[str, np.ndarray] | None = None) -> None:
        self.stats.check_finite()
        start = time.perf_counter()
        returns = self.evaluator(self.agent)  # (R, episodes)
        seconds = time.perf_counter() - start  # one clock for the metrics' eval_s and the phase table
        self.eval_s += seconds
        self.phase.seconds["evaluation"] += seconds
        with self.phase("logging"):
            self._log(step, returns, extra)

    def _log(self, step: int, returns: np.ndarray, extra: dict[str, np.ndarray] | None) -> None:
        train = self.stats.means()
        rows = []
        for r, seed in enumerate(self.agent.seeds):
            row = {"stage": self.stage, "step": step, "seed": seed,
                   "return": float(returns[r].mean()), "return_std": float(returns[r].std()),
                   "normalized_score": float(normalized_score(returns[r].mean(), *self.ref)),
                   "updates": self.agent.step, "time_s": round(self.elapsed(), 2), "eval_s": round(self.eval_s, 2)}
            row.update({k: float(v[r]) for k, v in (extra or {}).items()})
            row.update({k: float(v[r]) for k, v in train.items()})
            rows.append(row)
        self.run.append_metrics(rows)
        self.last_return = float(returns.mean())

    def bar(self, initial: int):
        return tqdm(total=self.settings.steps, initial=initial, desc=f"{self.stage} {self.agent.name}",
                    disable=not self.settings.progress, dynamic_ncols=True, mininterval=1.0)

    def due(self, step: int, interval: int) -> bool:
        return step % interval == 0 or step == self.settings.steps


def train_offline(agent, data: ReplayBuffer, run: RunDir, env: str, ref: tuple[float, float],
                  settings: LoopSettings, resume: bool = False, stage: str = "offline",
                  update=None) -> None:
    """``settings.steps`` gradient steps on ``data``, evaluating every ``eval_interval``.

    ``update``: the step to take (default ``agent.update``; the actor-only experiments pass
    ``agent.actor_only_update``); those runs are also evaluated before their first step.
    """
    update = agent.update if update is None else update
    loop = Loop(agent, run, env, ref, settings, stage, evaluates_at_start=update != agent.update)
    loop.start(resume)
    if loop.evaluates_at_start and agent.step == 0:
        loop.evaluate(0)
    bar = loop.bar(agent.step)
    phase = loop.phase
    while agent.step < settings.steps:
        with phase("sample"):
            batch = data.sample(agent.config.batch_size, agent.data_generators)
        with phase("update"):
            stats = update(batch)
        loop.stats.add(agent.step, stats)
        bar.update(1)
        if loop.due(agent.step, settings.eval_interval):
            loop.evaluate(agent.step)
            bar.set_postfix(ret=f"{loop.last_return:.1f}")
        if loop.due(agent.step, settings.checkpoint_interval):
            loop.save({"step": agent.step}, final=agent.step == settings.steps)
    bar.close()
    loop.finish({"step": agent.step}, {"step": agent.step})


def train_online(agent, buffer: ReplayBuffer, run: RunDir, env: str, ref: tuple[float, float],
                 settings: LoopSettings, resume: bool = False, evaluate_at_start: bool = True,
                 stop_when=None) -> None:
    """``settings.steps`` environment steps per run (one environment per seed), one update per
    step (``agent.updates_per_step``) once the buffer holds more than a batch. Exploration samples
    the stochastic policy.

    ``stop_when(run)`` is asked after every checkpoint; when it returns True the run ends there
    (the zoo's stopping rule)."""
    loop = Loop(agent, run, env, ref, settings, "online", buffer, evaluates_at_start=evaluate_at_start)
    step = int(loop.start(resume)["step"])
    envs = EnvBatch(env, agent.runs, [seeding.stream_seed(s, "env") * 1_000_003 + step for s in agent.seeds])
    if step == 0 and evaluate_at_start:
        loop.evaluate(0)
    bar = loop.bar(step)
    rollout_sums, rollout_counts = np.zeros(agent.runs), np.zeros(agent.runs)
    # a run killed after the checkpoint at which its rule held ends there, without further steps
    stopped = resume and step > 0 and stop_when is not None and stop_when(run)
    phase = loop.phase
    while step < settings.steps and not stopped:
        with phase("env"), torch_threads(1):  # acting is a tiny forward pass; the update below uses every thread
            obs = torch.as_tensor(envs.obs, device=agent.device)
            action = agent.act(obs.unsqueeze(1)).squeeze(1)  # (R, A)
            o, r, o2, term, end = envs.step(action.cpu().numpy())
            buffer.add(o, action, r, o2, term, end)
        for i in np.flatnonzero(end):
            rollout_sums[i] += envs.completed_returns[i][-1]
            rollout_counts[i] += 1
        step += 1
        if len(buffer) > agent.config.batch_size and step > loop.updates_from:
            for _ in range(agent.updates_per_step(step)):
                with phase("sample"):
                    batch = buffer.sample(agent.config.batch_size, agent.data_generators)
                with phase("update"):
                    stats = agent.update(batch)
                loop.stats.add(step, stats)
        bar.update(1)
        if loop.due(step, settings.eval_interval):
            rollout = np.where(rollout_counts > 0, rollout_sums / np.maximum(rollout_counts, 1), np.nan)
            loop.evaluate(step, {"env_steps": np.full(agent.runs, step), "rollout_return": rollout})
            rollout_sums[:], rollout_counts[:] = 0, 0
            bar.set_postfix(ret=f"{loop.last_return:.1f}")
        if loop.due(step, settings.checkpoint_interval):
            stopped = step < settings.steps and stop_when is not None and stop_when(run)
            loop.save({"step": step}, final=step == settings.steps or stopped)
    bar.close()
    envs.close()
    loop.finish({"step": step}, {"step": step, "updates": agent.step})
