"""The base of every method's hyperparameters: from/to dict, and a check of every value's type and
range when a config is made, so that a bad ``--set`` fails before anything is written.

    @dataclass(frozen=True)
    class SACConfig(Config):
        actor_lr: float = 3e-4
    SACConfig.from_dict({"actor_lr": "abc"})  # ValueError: actor_lr must be a number, got 'abc'

Types come from the field annotations (``float`` also takes an int, ``tuple[...]`` a list); ranges
from ``RULES`` (by field name, shared by the methods) and choices from a class's ``CHOICES``.
"""
from __future__ import annotations

import math
import typing
from dataclasses import asdict, fields
from typing import ClassVar

# field name -> (check, what is valid); a field absent here is only type-checked
_POSITIVE = (lambda v: v > 0, "> 0")
_NON_NEGATIVE = (lambda v: v >= 0, ">= 0")
_AT_LEAST_1 = (lambda v: v >= 1, ">= 1")
_FRACTION = (lambda v: 0 <= v <= 1, "in [0, 1]")
RULES: dict[str, tuple] = {
    **{k: _NON_NEGATIVE for k in ("actor_lr", "critic_lr", "temp_lr", "z_lr", "alpha_prime_lr", "density_lr",
                                  "burn_in_steps", "n_trajs", "k0", "reference_tau", "actor_weight_decay",
                                  "conservative_weight", "alpha", "target_smoothing_sigma", "target_smoothing_clip",
                                  "target_entropy_scale")},
    **{k: _AT_LEAST_1 for k in ("batch_size", "n_critics", "n_baselines", "n_action_samples", "ensemble_size",
                                "update_actor_interval", "density_batch_size", "init_online_window",
                                "online_buffer_size")},
    **{k: _POSITIVE for k in ("init_alpha", "adam_eps", "beta", "k_horizon", "w", "lam", "alpha_prime_init",
)},
    "gamma": (lambda v: 0 < v <= 1, "in (0, 1]"),
    "tau": (lambda v: 0 < v <= 1, "in (0, 1]"),
    "actor_grad_clip": (lambda v: v is None or v > 0, "> 0, or null for none"),
    "hidden": (lambda v: len(v) >= 1 and all(h >= 1 for h in v), "one or more layer widths >= 1"),
    "density_hidden": (lambda v: len(v) >= 1 and all(h >= 1 for h in v), "one or more layer widths >= 1"),
    "adam_betas": (lambda v: len(v) == 2 and all(0 <= b < 1 for b in v), "two numbers in [0, 1)"),
    "log_std_bounds": (lambda v: len(v) == 2 and v[0] < v[1], "[low, high] with low < high"),
    "k_min": _FRACTION,
}


def _type_error(name: str, value, want: str) -> ValueError:
    return ValueError(f"{name} must be {want}, got {value!r}")


def _coerce(name: str, value, hint):
    """``value`` as the annotated type ``hint`` (int -> float, list -> tuple), or a ValueError."""
    args = typing.get_args(hint)
    if typing.get_origin(hint) in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        if value is None and type(None) in args:
            return None
        (inner,) = [a for a in args if a is not type(None)]
        return _coerce(name, value, inner)
    if hint is bool:
        if not isinstance(value, bool):
            raise _type_error(name, value, "true or false")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _type_error(name, value, "an integer")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise _type_error(name, value, "a finite number")
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise _type_error(name, value, "a string")
        return value
    if typing.get_origin(hint) is tuple:
        if not isinstance(value, (list, tuple)):
            raise _type_error(name, value, "a list, e.g. [256, 256]")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_coerce(name, v, args[0]) for v in value)
        if len(value) != len(args):
            raise _type_error(name, value, f"a list of {len(args)} values")
        return tuple(_coerce(name, v, a) for v, a in zip(value, args))
    return value


class Config:
    """Mixin for a frozen dataclass of hyperparameters (see the module docstring)."""

    CHOICES: ClassVar[dict[str, tuple[str, ...]]] = {}  # field -> its valid values

    def __post_init__(self):
        hints = typing.get_type_hints(type(self))
        for f in fields(self):
            value = _coerce(f.name, getattr(self, f.name), hints[f.name])
            object.__setattr__(self, f.name, value)
            if f.name in self.CHOICES and value not in self.CHOICES[f.name]:
                raise ValueError(f"unknown {f.name} {value!r}; valid: {list(self.CHOICES[f.name])}")
            rule = RULES.get(f.name)
            if rule is not None and value is not None and not rule[0](value):
                raise ValueError(f"{f.name} must be {rule[1]}, got {value!r}")

    @classmethod
    def from_dict(cls, d: dict):
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - names)
        if unknown:
            raise ValueError(f"unknown {cls.__name__} fields {unknown}; valid: {sorted(names)}")
        return cls(**d)

    def to_dict(self) -> dict:
        return asdict(self)
