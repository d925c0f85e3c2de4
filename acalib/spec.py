"""A run as one plain description: ``RunSpec`` (what the run is; JSON round trip, no tensors, no open files)
and ``execute(spec, out)`` (train it into a run directory). ``Study`` builds its runs' specs here, and a spec's
``key()`` names the run's directory, so a run is found again wherever it is described."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from .runs import RunDir, run_key

STAGES = ("offline", "online", "actor_only")


@dataclass(frozen=True)
class RunSpec:
    """One run: the method, its data, seeds, steps, loop settings and resolved hyperparameters, and the name
    of the run it starts from. ``overrides`` are the hyperparameters the caller set (what is passed on to the
    method's config; ``hyperparameters`` are the resolved ones, part of the key)."""
    stage: str  # offline / online / actor_only
    algo: str  # the method's name (online: the variant's, e.g. aca_bc_only)
    dataset: str  # the dataset trained on (actor-only: whose states)
    profile: str
    steps: int
    loop: dict  # eval_interval, eval_episodes, checkpoint_interval
    seeds: list[int] | None = None  # actor-only: those of the run it starts from
    hyperparameters: dict | None = None
    overrides: dict = field(default_factory=dict)
    data: dict | None = None  # the dataset's identity (datasets.dataset_identity)
    size: int | None = None  # transitions of a generated dataset (None: the level's default)
    init: str | None = None  # the run it starts from, '<dataset>/<directory>'
    offline_data: bool = True  # online: the offline data in the buffer
    critic: str | None = None  # actor-only: offline / aligned

    def __post_init__(self):
        if self.stage not in STAGES:
            raise ValueError(f"unknown stage {self.stage!r}; valid: {list(STAGES)}")
        if self.stage == "actor_only" and (self.init is None or self.critic is None):
            raise ValueError("an actor-only run needs the run it starts from (init) and a critic")

    @property
    def directory_algo(self) -> str:
        """The method part of the run's directory name."""
        return f"actor_only_{self.critic}" if self.stage == "actor_only" else self.algo

    def key_parts(self) -> dict:
        """Everything that makes this run what it is, as the run key hashes it."""
        if self.stage == "offline":
            return {"stage": "offline", "steps": self.steps, "seeds": self.seeds, "size": self.size,
                    "data": self.data, "hyperparameters": self.hyperparameters, "loop": self.loop}
        if self.stage == "online":  # the init run's name covers its data; from scratch, the dataset's identity
            return {"stage": "online", "steps": self.steps, "seeds": self.seeds, "init": self.init_name,
                    "data": None if self.init else self.data, "hyperparameters": self.hyperparameters,
                    "offline_data": self.offline_data, "loop": self.loop}
        return {"stage": "actor_only", "init": self.init_name, "critic": self.critic, "steps": self.steps,
                "data": self.data, "loop": self.loop}

    @property
    def init_name(self) -> str | None:
        return None if self.init is None else self.init.rsplit("/", 1)[-1]

    def key(self) -> str:
        return run_key(algo=self.directory_algo, dataset=self.dataset, profile=self.profile, **self.key_parts())

    @property
    def name(self) -> str:
        """'<dataset>/<method>-<key>': the run's directory under ``<runs root>/<profile>/``."""
        return f"{self.dataset}/{self.directory_algo}-{self.key()}"

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "RunSpec":
        values = json.loads(text)
        known = {f.name for f in fields(cls)}
        if unknown := sorted(set(values) - known):
            raise ValueError(f"not a RunSpec: unknown fields {unknown}; valid: {sorted(known)}")
        return cls(**values)


def execute(spec: RunSpec, out: str | Path, *, init: str | Path | None = None, device: str = "cpu",
            compile: bool | None = None, progress: bool = True) -> RunDir:
    """Train (or resume, or find finished) the run ``spec`` describes in ``out``. ``init``: the directory of the
    run it starts from (default: beside ``out``'s profile folder, ``<out>/../../<spec.init>``)."""
    from .experiment import run_actor_only, run_offline, run_online

    settings = {**spec.loop, "progress": progress}
    if spec.init is not None and init is None:
        init = Path(out).parent.parent / spec.init
    if spec.stage == "offline":
        return run_offline(spec.algo, spec.dataset, list(spec.seeds), spec.steps, out, device=device,
                           overrides=spec.overrides, settings=settings, size=spec.size, compile=compile)
    if spec.stage == "online":
        return run_online(spec.algo, spec.steps, out, init=init, dataset=None if init else spec.dataset,
                          seeds=None if init else list(spec.seeds), device=device, overrides=spec.overrides,
                          settings=settings, offline_data=spec.offline_data, compile=compile)
    return run_actor_only(init, spec.dataset, spec.steps, out, critic=spec.critic, device=device, settings=settings,
                          size=spec.size)
