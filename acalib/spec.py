"""A run as one plain description: ``RunSpec`` (what the run is; JSON round trip, no tensors, no open files)
and ``execute(spec, out)`` (train it into a run directory). ``Study`` and the command line build their runs'
specs here, and a spec's ``key()`` names the run's directory, so a run is found again wherever it is described."""
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


def resolved_hyperparameters(algo: str, overrides: dict) -> dict:
    """The config a run of ``algo`` with ``overrides`` would use (part of its key)."""
    from .algos import ALL_ALGOS, algo_class

    return algo_class(algo, ALL_ALGOS).config_cls.from_dict(overrides).to_dict()


def _init_name(init: RunDir) -> str:
    return f"{init.path.parent.name}/{init.path.name}"


def offline_spec(algo: str, dataset: str, steps: int, seeds: list[int], loop: dict, overrides: dict | None = None,
                 size: int | None = None, profile: str = "cli", data: dict | None = None) -> RunSpec:
    """An offline run of ``algo`` on ``dataset`` (``data``: its identity, part of the key), with the method's
    settings for that dataset (``algos.offline_dataset_settings``: SAC+ML's AntMaze policy) under ``overrides``."""
    from .algos import offline_dataset_settings

    overrides = {**offline_dataset_settings(algo, dataset), **(overrides or {})}
    return RunSpec("offline", algo, dataset, profile, steps, dict(loop), list(seeds),
                   resolved_hyperparameters(algo, overrides), overrides, data=data, size=size)


def online_spec(algo: str, steps: int, loop: dict, init: RunDir | None = None, dataset: str | None = None,
                seeds: list[int] | None = None, overrides: dict | None = None, offline_data: bool = True,
                profile: str = "cli", data: dict | None = None) -> RunSpec:
    """An online run of ``algo`` from the finished offline run ``init`` (its dataset and seeds unless given; the
    seeds must match), or from scratch on ``dataset``. The hyperparameters are resolved here (``methods``), so a
    pairing the method cannot start from is refused before anything is written."""
    from .algos import ALL_ALGOS, algo_class
    from .methods import check_start, online_config

    overrides = dict(overrides or {})
    offline_config = None
    if init is not None:
        cfg = init.config()
        check_start(algo, cfg.get("algo"), init.path)
        dataset = dataset or cfg["dataset"]["name"]
        if seeds is not None and list(seeds) != list(cfg["seeds"]):
            raise ValueError(f"online seeds {list(seeds)} must equal the offline run's seeds {cfg['seeds']} "
                             f"(each online seed continues the offline model of the same seed)")
        seeds = cfg["seeds"]
        offline_config = algo_class(cfg["algo"], ALL_ALGOS).config_cls.from_dict(cfg["hyperparameters"])
    elif dataset is None:
        raise ValueError(f"online {algo!r} needs an offline run (init=...) or, from scratch, a dataset")
    config = online_config(algo, overrides, offline_config, dataset, offline_data)  # refuses bad pairings
    return RunSpec("online", algo, dataset, profile, steps, dict(loop), None if seeds is None else list(seeds),
                   config.to_dict(), overrides, data=None if init else data,
                   init=_init_name(init) if init else None, offline_data=offline_data)


def actor_only_spec(init: RunDir, dataset: str, steps: int, loop: dict, critic: str = "offline",
                    size: int | None = None, profile: str = "cli", data: dict | None = None) -> RunSpec:
    """Actor-only updates from the finished offline run ``init`` on ``dataset``'s states."""
    return RunSpec("actor_only", init.config()["algo"], dataset, profile, steps, dict(loop), size=size,
                   init=_init_name(init), critic=critic, data=data)


def execute(spec: RunSpec, out: str | Path, *, init: str | Path | None = None, device: str = "cpu",
            compile: bool | None = None, progress: bool = True, d4rl_dir: str | None = None,
            cuda_graph: bool = False) -> RunDir:
    """Train (or resume, or find finished) the run ``spec`` describes in ``out``. ``init``: the directory of the
    run it starts from (default: beside ``out``'s profile folder, ``<out>/../../<spec.init>``). The run's
    config.json records ``spec`` under ``"spec"`` (``RunDir.spec()``) beside what executing it resolved."""
    from .experiment import run_actor_only, run_offline, run_online

    settings = {**spec.loop, "progress": progress}
    described = {"spec": json.loads(spec.to_json())}  # recorded in the run's config.json
    if spec.init is not None and init is None:
        init = Path(out).parent.parent / spec.init
    if spec.stage == "offline":
        return run_offline(spec.algo, spec.dataset, list(spec.seeds), spec.steps, out, device=device,
                           overrides=spec.overrides, settings=settings, size=spec.size, compile=compile,
                           d4rl_dir=d4rl_dir, cuda_graph=cuda_graph, **described)
    if spec.stage == "online":
        return run_online(spec.algo, spec.steps, out, init=init, dataset=spec.dataset,
                          seeds=None if init else list(spec.seeds), device=device, overrides=spec.overrides,
                          settings=settings, offline_data=spec.offline_data, compile=compile, d4rl_dir=d4rl_dir,
                          cuda_graph=cuda_graph, **described)
    return run_actor_only(init, spec.dataset, spec.steps, out, critic=spec.critic, device=device, settings=settings,
                          size=spec.size, **described)
