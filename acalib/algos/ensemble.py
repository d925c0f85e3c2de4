"""Offline ensembles for Balanced Replay: ``ensemble_size`` independent offline agents per seed
(BR Sec. 4.2; official ``--ensemble_size 5``, loaded from 5 CQL runs).

The agent is the plain CQL / SAC+ML class with every seed expanded into its members on the run
axis, seed-major: seeds [0, 1] with 5 members run as [0, 10000, ..., 40000, 1, 10001, ..., 40001].
Member i of seed s draws every random stream from seed s + 10000 i, so member 0 is exactly the plain
run of seed s (runs are independent of their neighbours on the axis). ``seeds`` of such an agent
are the member seeds, so an ensemble run evaluates and logs every member: metrics.csv has one row per
member, its ``seed`` column the member seed (seed % 10000 is the run's seed, seed // 10000 the member).
The official code loads members from CQL seeds 4 i + s instead; any distinct seeds serve.
"""
from __future__ import annotations

from dataclasses import dataclass

from .cql import CQL, CQLConfig
from .sac_ml import SACML, SACMLConfig

MEMBER_SEED_STRIDE = 10_000


@dataclass(frozen=True)
class EnsembleSize:
    """The one place the ensemble size is set (BR Sec. 4.2 and the official code: 5)."""

    ensemble_size: int = 5


def member_seeds(seeds: list[int], ensemble_size: int) -> list[int]:
    """Seed-major member seeds: member i of seed s is s + 10000 i."""
    if ensemble_size < 1:
        raise ValueError(f"ensemble_size must be >= 1, got {ensemble_size}")
    too_big = [s for s in seeds if not 0 <= s < MEMBER_SEED_STRIDE]
    if too_big:
        raise ValueError(f"ensemble runs need seeds in [0, {MEMBER_SEED_STRIDE}) (member i of seed s uses "
                         f"s + {MEMBER_SEED_STRIDE} i); got {too_big}")
    return [s + MEMBER_SEED_STRIDE * i for s in seeds for i in range(ensemble_size)]


class OfflineEnsemble:
    """Mixin for an offline agent class: its runs become ``ensemble_size`` members per seed."""

    def __init__(self, config, obs_dim: int, act_dim: int, seeds: list[int], device: str = "cpu",
                 cuda_graph: bool = False):
        super().__init__(config, obs_dim, act_dim, member_seeds(seeds, config.ensemble_size), device, cuda_graph)
        self.base_seeds = list(seeds)


@dataclass(frozen=True)
class CQLEnsembleConfig(CQLConfig, EnsembleSize):
    """CQL hyperparameters plus the ensemble size (CQL->BR, the ACA paper's Table 1)."""


@dataclass(frozen=True)
class SACMLEnsembleConfig(SACMLConfig, EnsembleSize):
    """SAC+ML hyperparameters plus the ensemble size (SAC+ML->BR, the ACA paper's Fig. 6 and 18)."""


class CQLEnsemble(OfflineEnsemble, CQL):
    name = "cql_ensemble"
    config_cls = CQLEnsembleConfig


class SACMLEnsemble(OfflineEnsemble, SACML):
    name = "sac_ml_ensemble"
    config_cls = SACMLEnsembleConfig
