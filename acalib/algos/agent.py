"""The agent machinery every method shares: per-run random streams, optimisers (fused Adam, or Adam as tensor
operations in a compiled update), one update as a pure program (eager, compiled, or replayed as a CUDA graph),
acting, and checkpoint state."""
from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import Tensor, nn

from .. import seeding
from ..config import Config
from ..data.buffers import Batch
from ..nets import clip_grad_norm_per_run
from ..optim import adam_step_, init_adam_state, per_run_clip


@dataclass(frozen=True)
class ActorCriticConfig(Config):
    """What every actor-critic method here shares (the paper's Table 11); each method's config adds its own."""

    hidden: tuple[int, ...] = (256, 256)
    actor_lr: float = 3e-4
    critic_lr: float = 3e-4
    batch_size: int = 256
    gamma: float = 0.99
    tau: float = 0.005
    n_critics: int = 2
    adam_betas: tuple[float, float] = (0.9, 0.999)
    adam_eps: float = 1e-8


class Agent(nn.Module):
    """Machinery every method shares. Subclasses build their networks and define ``_update``."""

    name = "agent"
    config_cls: type = ActorCriticConfig  # each method names its own
    no_graph_reason: str | None = None  # why a method cannot replay its update as one CUDA graph

    def __init__(self, config, obs_dim: int, act_dim: int, seeds: list[int], device: str = "cpu",
                 cuda_graph: bool = False):
        super().__init__()
        self.config, self.obs_dim, self.act_dim = config, obs_dim, act_dim
        self.seeds, self.runs = list(seeds), len(seeds)
        self.device = torch.device(device)
        if cuda_graph and self.no_graph_reason:
            raise ValueError(f"{self.name} {self.no_graph_reason}; run it without --cuda-graph")
        if cuda_graph and self.device.type != "cuda":
            raise ValueError(f"cuda_graph needs a CUDA device, got {device!r}")
        self.cuda_graph = cuda_graph
        self._graph = None
        self._compiled = None  # enable_compile(): ``_update`` as one compiled program
        self._compile_reported = False
        self.compile_s = 0.0  # wall time of the first compiled update, which compiles it
        self.noise_generators = seeding.generators(self.seeds, "noise", self.device)
        self.data_generators = seeding.generators(self.seeds, "data", self.device)
        self.step = 0
        self.optimizers: dict[str, torch.optim.Optimizer] = {}

    def init_generators(self) -> list[torch.Generator]:
        return seeding.generators(self.seeds, "init")

    def adam(self, params, lr: float, weight_decay: float = 0.0) -> torch.optim.Adam:
        return torch.optim.Adam(params, lr=lr, betas=self.config.adam_betas, eps=self.config.adam_eps,
                                weight_decay=weight_decay, fused=True, capturable=self.cuda_graph)

    def load_optimizer_state(self, name: str, state: dict) -> None:
        """Adam moments and step counts from ``state``; this agent's own settings (learning rate,
        capturable for CUDA graphs) are kept."""
        opt = self.optimizers[name]
        settings = [{k: v for k, v in g.items() if k != "params"} for g in opt.param_groups]
        opt.load_state_dict(state)
        for g, own in zip(opt.param_groups, settings):
            g.update(own)

    def noise(self, batch: int) -> Tensor:
        """Per-run N(0, 1) of shape (runs, batch, act_dim)."""
        return seeding.normal(self.noise_generators, (batch, self.act_dim), self.device)

    # -- one update ----------------------------------------------------------------------
    def update(self, batch: Batch) -> dict[str, Tensor]:
        """One gradient step for every run; returns per-run statistics (R,).

        The random numbers (policy noise at s and at s', from each run's own stream) are drawn
        here, so ``_update`` is a pure tensor program: replayable as one CUDA graph.
        """
        b = batch.obs.shape[1]
        randoms = (torch.stack([self.noise(b), self.noise(b)]), *self.extra_randoms(b))
        self.before_update()
        if self._compiled is not None and not self._compile_reported:  # the first call compiles
            if self.device.type == "cuda":
                self._mark_static_state()
            start = time.perf_counter()
            stats = self._compiled(batch, *randoms)
            self.compile_s = time.perf_counter() - start
            print(f"{self.name}: update compiled in {self.compile_s:.1f} s", file=sys.stderr)
            self._compile_reported = True
        else:
            update = self._compiled or self._update
            stats = self._replay(batch, randoms) if self.cuda_graph else update(batch, *randoms)
        self.step += 1
        return stats

    no_compile_reason: str | None = None  # why a method's update cannot be compiled as one program

    def enable_compile(self, cache_dir: str | Path | None = None) -> None:
        """Run every later ``update`` as one ``torch.compile``d program with no graph break: gradients by
        ``torch.autograd.grad`` and Adam as tensor operations inside it (``acalib/optim.py``), on the
        optimisers' own state. Compiled and eager updates agree to float32 rounding and share checkpoints.
        The first update pays the compilation, once per process: the inductor cache (``cache_dir``,
        unless ``TORCHINDUCTOR_CACHE_DIR`` is set) makes later runs of the same shapes reuse it.
        On a GPU the compiled program is replayed as a CUDA graph."""
        if self.no_compile_reason:
            raise ValueError(f"{self.name} {self.no_compile_reason}; run it without --compile")
        import torch._dynamo

        if cache_dir is not None and not os.environ.get("TORCHINDUCTOR_CACHE_DIR"):
            os.environ["TORCHINDUCTOR_CACHE_DIR"] = str(cache_dir)
        torch._dynamo.config.trace_autograd_ops = True  # torch.autograd.grad inside the graph
        for opt in self.optimizers.values():
            init_adam_state(opt)
        # on a GPU the program is replayed as a CUDA graph (inductor's "reduce-overhead")
        mode = "reduce-overhead" if self.device.type == "cuda" else None
        self._compiled = torch.compile(self._update, fullgraph=True, mode=mode)

    def _mark_static_state(self) -> None:
        """Before the first compiled update on a GPU (after any checkpoint was loaded): the Adam state the
        CUDA graph updates in place is marked static, as parameters are, so the graph is kept, not skipped."""
        import torch._dynamo

        for opt in self.optimizers.values():
            for state in opt.state.values():
                for value in state.values():
                    if isinstance(value, torch.Tensor) and value.device.type == "cuda":
                        torch._dynamo.mark_static_address(value)

    @property
    def compiled(self) -> bool:
        return self._compiled is not None

    def updates_per_step(self, env_step: int) -> int:
        """Gradient updates after online environment step ``env_step`` (1-based): one (paper App. E.3)."""
        return 1

    def actor_only_update(self, batch: Batch) -> dict[str, Tensor]:
        """One actor (and temperature) step with the critic frozen (paper Sec. 4, App. B.2)."""
        b = batch.obs.shape[1]
        self.before_update()
        stats = self._actor_only(batch, self.noise(b), *self.extra_randoms(b))
        self.step += 1
        return stats

    def _actor_only(self, batch: Batch, noise: Tensor, *extra: Tensor) -> dict[str, Tensor]:
        raise NotImplementedError(f"{self.name} has no actor-only update")

    def extra_randoms(self, batch: int) -> tuple[Tensor, ...]:
        """Further random inputs of ``_update`` beyond the two policy-noise draws (CQL's samples)."""
        return ()

    def before_update(self) -> None:
        """Per-step values set outside the update program (ACA's k)."""

    def _update(self, batch: Batch, noise: Tensor, *extra: Tensor) -> dict[str, Tensor]:
        raise NotImplementedError

    def _replay(self, batch: Batch, randoms: tuple[Tensor, ...]) -> dict[str, Tensor]:
        if self._graph is None:
            self._capture(batch, randoms)
        for static, value in zip(self._static_inputs, (*batch, *randoms)):
            static.copy_(value)
        self._graph.replay()
        return self._static_stats

    def _capture(self, batch: Batch, randoms: tuple[Tensor, ...]) -> None:
        """Record ``_update`` as a CUDA graph. The warm-up steps it needs are undone afterwards,
        so capturing changes no weight, optimiser state or random stream."""
        self._static_inputs = [t.clone() for t in (*batch, *randoms)]
        args = (Batch(*self._static_inputs[:5]), *self._static_inputs[5:])
        weights = {k: v.clone() for k, v in self.state_dict().items()}
        moments = {name: {p: {k: v.clone() for k, v in st.items()} for p, st in opt.state.items()}
                   for name, opt in self.optimizers.items()}
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            for _ in range(3):
                self._update(*args)
        torch.cuda.current_stream().wait_stream(side)
        with torch.no_grad():
            for k, v in self.state_dict().items():
                v.copy_(weights[k])
            for name, opt in self.optimizers.items():
                for p, st in opt.state.items():
                    before = moments[name].get(p)
                    for k, v in st.items():
                        if torch.is_tensor(v):
                            v.copy_(before[k]) if before is not None else v.zero_()
        self._graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(self._graph):
            self._static_stats = self._update(*args)

    def optimize(self, name: str, loss: Tensor, clip: float | None = None) -> None:
        """One optimiser step on the sum of per-run losses (each run gets its own gradient). In a
        compiled update (``enable_compile``) the same step as tensor operations, without ``backward()``."""
        opt = self.optimizers[name]
        if self._compiled is not None:
            params = [p for group in opt.param_groups for p in group["params"]]
            grads = list(torch.autograd.grad(loss.sum(), params))
            adam_step_(opt, per_run_clip(grads, clip, self.runs) if clip is not None else grads)
            return
        opt.zero_grad(set_to_none=True)
        loss.sum().backward()
        if clip is not None:
            params = [p for group in opt.param_groups for p in group["params"]]
            clip_grad_norm_per_run(params, clip, self.runs)
        opt.step()

    # -- acting ------------------------------------------------------------------------
    @torch.no_grad()
    def act(self, obs: Tensor, deterministic: bool = False) -> Tensor:
        """Actions for observations (runs, n, obs_dim): tanh(mu) or a policy sample."""
        if deterministic:
            return self.actor.deterministic(obs)
        mean, log_std = self.actor.distribution(obs)
        noise = seeding.normal(self.noise_generators, tuple(obs.shape[1:-1]) + (self.act_dim,), self.device)
        return self.actor.rsample(mean, log_std, noise)[0]

    # -- checkpoint state ----------------------------------------------------------------
    def state(self) -> dict:
        """Everything needed to resume: weights, optimiser states, random streams, step."""
        return {
            "algo": self.name,
            "config": self.config.to_dict(),
            "obs_dim": self.obs_dim, "act_dim": self.act_dim, "seeds": self.seeds,
            "step": self.step,
            "weights": self.state_dict(),
            "optimizers": {k: v.state_dict() for k, v in self.optimizers.items()},
            "generators": {
                "noise": [g.get_state() for g in self.noise_generators],
                "data": [g.get_state() for g in self.data_generators],
            },
            "extra": self.extra_state(),
        }

    def load_state(self, state: dict) -> None:
        check_compatible(state, self.name, self.obs_dim, self.act_dim, self.seeds)
        self.load_state_dict(state["weights"])
        dropped = state.get("dropped_optimizers", ())  # a transfer checkpoint (checkpoint.transfer_state)
        for k in self.optimizers:
            if k not in dropped:
                self.load_optimizer_state(k, state["optimizers"][k])
        for g, s in zip(self.noise_generators, state["generators"]["noise"]):
            g.set_state(s.cpu())  # generator states are CPU byte tensors, whatever map_location did
        for g, s in zip(self.data_generators, state["generators"]["data"]):
            g.set_state(s.cpu())
        self.step = int(state["step"])
        self.load_extra_state(state["extra"])

    def extra_state(self) -> dict:
        return {}

    def load_extra_state(self, extra: dict) -> None:
        pass


def check_compatible(state: dict, algo: str | None, obs_dim: int, act_dim: int, seeds: list[int] | None) -> None:
    """Raise a clear error when a checkpoint does not fit the agent or environment."""
    if algo is not None and state.get("algo") != algo:
        raise ValueError(f"checkpoint is of algorithm {state.get('algo')!r}, expected {algo!r}")
    have = (state["obs_dim"], state["act_dim"])
    if have != (obs_dim, act_dim):
        raise ValueError(f"checkpoint shapes (obs_dim, act_dim) = {have} do not fit the environment's "
                         f"{(obs_dim, act_dim)}")
    if seeds is not None and list(state["seeds"]) != list(seeds):
        raise ValueError(f"checkpoint holds seeds {list(state['seeds'])}, expected {list(seeds)}")
