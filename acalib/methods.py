"""The online methods, one registry entry each: its agent, the offline runs it may start from, how it starts
from one, its hyperparameters, and the buffer it fills first. ``experiment.run_online`` reads only this table,
so adding an online method is its ``algos/`` module plus an entry here (and, for a variant of an existing method,
one line of ``algos.ONLINE_VARIANTS``)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from .algos import ACA, AWAC, BR, SAC, aca_config, aca_group, online_method
from .config import Config
from .data.balanced_replay import BalancedReplayBuffer
from .data.buffers import ReplayBuffer, Transitions, top_n_episodes

ONLINE_BUFFER_SIZE = 1_000_000  # paper App. E.1


def _carried_over(cls, overrides: dict, offline_config: Config | None, dataset: str | None,
                  offline_data: bool) -> Config:
    """The offline run's fields the online method shares (networks, learning rates, ...), then ``overrides``."""
    if offline_config is None:
        return cls.config_cls.from_dict(overrides)
    shared = {k: v for k, v in offline_config.to_dict().items() if k in cls.config_cls().to_dict()}
    return cls.config_cls.from_dict({**shared, **overrides})


def _aca_config(cls, overrides: dict, offline_config: Config | None, dataset: str | None,
                offline_data: bool) -> Config:
    """Its dataset group's settings (N, beta, k; ``algos.ACA_GROUPS``) on the offline run's networks."""
    return aca_config(aca_group(dataset), base=offline_config, **{"offline_data": offline_data, **overrides})


def _br_config(cls, overrides: dict, offline_config: Config | None, dataset: str | None,
               offline_data: bool) -> Config:
    """BR's own Table 9/11 settings; only the network width comes from the offline ensemble."""
    return cls.config_cls.from_dict({"hidden": offline_config.hidden, **overrides})


def _every_transition(data: Transitions, config: Config, offline_data: bool) -> Transitions:
    return data if offline_data else data.take(np.arange(0))


def _top_n(data: Transitions, config: Config, offline_data: bool) -> Transitions:
    return top_n_episodes(data, config.n_trajs)  # N = 0 without offline data (aca_config)


def _replay(runs: int, data: Transitions, prefill: Transitions, config: Config, device: str,
            steps: int) -> ReplayBuffer:
    return ReplayBuffer(runs, ONLINE_BUFFER_SIZE, data.obs_dim, data.act_dim, device, prefix=prefill, max_added=steps)


def _balanced(runs: int, data: Transitions, prefill: Transitions, config: Config, device: str,
              steps: int) -> BalancedReplayBuffer:
    return BalancedReplayBuffer(runs, data, config.online_buffer_size, config.density_batch_size,
                                config.init_online_fraction, config.init_online_window, device, max_added=steps)


@dataclass(frozen=True)
class OnlineMethod:
    """How one online method runs (paper App. E.1 for what each carries over)."""
    name: str
    agent: type
    starts_from: tuple[str, ...]  # the offline methods whose runs it may continue
    from_scratch: bool  # may run with no offline run at all (SAC)
    config: Callable  # (cls, overrides, offline_config, dataset, offline_data) -> its Config
    prefill: Callable  # (offline data, config, offline_data) -> transitions put in the buffer first
    buffer: Callable  # (runs, offline data, prefill, config, device, steps) -> the buffer it samples
    needs_offline_data: str | None = None  # why it cannot run without the offline data, if it cannot
    attaches_buffer: bool = False  # the agent samples (and re-scores) its own buffer (BR)

    def start(self, offline, config: Config, cuda_graph: bool = False):
        """The online agent from a finished offline agent (``agent.from_offline``)."""
        return self.agent.from_offline(offline, config, cuda_graph)

    def make_buffer(self, agent, data: Transitions, prefill: Transitions, config: Config, device: str, steps: int):
        buffer = self.buffer(agent.runs, data, prefill, config, device, steps)
        if self.attaches_buffer:
            agent.attach(buffer)
        return buffer


ONLINE_METHODS = {
    # SAC->SAC and CQL->SAC: the offline actor, critics and alpha carry on, every offline transition in the buffer
    "sac": OnlineMethod("sac", SAC, ("sac_ml", "cql"), True, _carried_over, _every_transition, _replay),
    # AWAC->AWAC likewise
    "awac": OnlineMethod("awac", AWAC, ("awac",), False, _carried_over, _every_transition, _replay),
    # alignment from the offline Z(s); the buffer seeded with the top-N offline episodes
    "aca": OnlineMethod("aca", ACA, ("sac_ml", "cql"), False, _aca_config, _top_n, _replay),
    # from an offline ensemble; every offline transition in its prioritized buffer
    "br": OnlineMethod("br", BR, ("cql_ensemble", "sac_ml_ensemble"), False, _br_config, _every_transition,
                       _balanced, needs_offline_data="BR replays the offline data by design (paper Sec. 6.4); "
                                                     "it cannot run without it", attaches_buffer=True),
}


def method_entry(name: str) -> tuple[OnlineMethod, dict]:
    """An online method's name (or a variant's, ``algos.ONLINE_VARIANTS``) -> its entry and the fields it presets."""
    base, presets = online_method(name)
    return ONLINE_METHODS[base], presets


def check_start(algo: str, init_algo: str | None, init) -> OnlineMethod:
    """``algo``'s entry, if it can start from a run of ``init_algo`` (the run at ``init``); else a ValueError
    naming the offline runs it needs and the command that makes one."""
    method = method_entry(algo)[0]
    if init_algo not in method.starts_from:
        raise ValueError(f"online {algo!r} cannot start from a {init_algo!r} run ({init}); "
                         f"it needs an offline run of {' or '.join(method.starts_from) or 'nothing'}: "
                         f"make one with {make_one(method)}")
    return method


def make_one(method: OnlineMethod) -> str:
    """The command that makes an offline run this method can start from."""
    return f"`acalib offline --algo {method.starts_from[0] if method.starts_from else 'sac_ml'} ...`"


def online_config(algo: str, overrides: dict | None = None, offline_config: Config | None = None,
                  dataset: str | None = None, offline_data: bool = True) -> Config:
    """The full hyperparameters of an online run of ``algo`` (a name of ``ONLINE_ALGOS``): the method's presets,
    then ``overrides``, on top of what carries over from the offline run's config (``offline_config``; None:
    from scratch). ACA takes its dataset group's settings from ``dataset`` (and grows beta without
    ``offline_data``)."""
    method, presets = method_entry(algo)
    if offline_config is None and not method.from_scratch:
        raise ValueError(f"online algorithm {algo!r} starts from an offline run: pass --init DIR "
                         f"(make one with {make_one(method)})")
    return method.config(method.agent, {**presets, **(overrides or {})}, offline_config, dataset, offline_data)


def aligned_agent(offline, dataset: str, cuda_graph: bool = False) -> ACA:
    """ACA at the switch from a finished offline agent (R <- Z, alpha <- 1, frozen pi0), with the settings of
    ``dataset``'s group: what the online runs, the actor-only runs with the aligned Q and the probes start from."""
    return ONLINE_METHODS["aca"].start(offline, online_config("aca", {}, offline.config, dataset), cuda_graph)
