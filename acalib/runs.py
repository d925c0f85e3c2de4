"""Run directories: the full config, metrics as CSV, checkpoints.

    <out>/config.json          everything needed to rerun (algo, dataset, seeds, steps, hyperparameters)
    <out>/metrics.csv          one row per (evaluation step, seed)
    <out>/checkpoints/last.pt  the latest checkpoint (resume point)
    <out>/checkpoints/final.pt the checkpoint at the last step (what online runs start from)
    <out>/done                 written last: the run finished
"""
from __future__ import annotations

import csv
import fcntl
import hashlib
import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path


from . import __version__


def write_json_atomic(path: Path, obj: dict) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "w") as f:
        json.dump(obj, f, indent=2, sort_keys=True, default=str)
    os.replace(tmp, path)


def write_csv_atomic(frame, path: Path) -> None:
    """A DataFrame to CSV via a temporary file and a rename: never half-written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    frame.to_csv(tmp, index=False)
    os.replace(tmp, path)


class RunDir:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.checkpoints = self.path / "checkpoints"

    @property
    def config_path(self) -> Path:
        return self.path / "config.json"

    @property
    def metrics_path(self) -> Path:
        return self.path / "metrics.csv"

    @property
    def last_checkpoint(self) -> Path:
        return self.checkpoints / "last.pt"

    @property
    def final_checkpoint(self) -> Path:
        return self.checkpoints / "final.pt"

    @property
    def done(self) -> bool:
        return (self.path / "done").exists()

    def config(self) -> dict:
        if not self.config_path.is_file():
            raise FileNotFoundError(f"{self.path} is not an acalib run directory (no config.json)")
        return json.loads(self.config_path.read_text())

    def prepare(self, config: dict, defaults: dict | None = None) -> bool:
        """Create the directory or check it belongs to the same run. Returns True to resume.

        ``defaults``: the hyperparameter defaults; a field added to a config class after the run
        was made counts as equal when the run's config lacks it and the new value is its default.
        """
        config = json.loads(json.dumps({**config, "acalib_version": __version__}, default=str))  # as stored
        if self.config_path.is_file():
            old = json.loads(self.config_path.read_text())
            if defaults and "hyperparameters" in old:
                filled = json.loads(json.dumps(defaults, default=str))
                old["hyperparameters"] = {**filled, **old["hyperparameters"]}
            if _comparable(old) != _comparable(config):
                diff = sorted(k for k in set(old) | set(config) if old.get(k) != config.get(k)
                              and k not in VOLATILE)
                raise ValueError(f"{self.path} holds a different run (differs in {diff}); choose another --out")
            return self.last_checkpoint.is_file()
        self.checkpoints.mkdir(parents=True, exist_ok=True)
        write_json_atomic(self.config_path, config)
        return False

    def read_metrics(self) -> list[dict]:
        if not self.metrics_path.is_file():
            return []
        with open(self.metrics_path, newline="") as f:
            return list(csv.DictReader(f))

    def write_metrics(self, rows: list[dict]) -> None:
        """Rewrite metrics.csv atomically with the union of every row's columns."""
        fields = list(dict.fromkeys(k for row in rows for k in row))
        fd, tmp = tempfile.mkstemp(prefix=".metrics.", dir=self.path)
        with os.fdopen(fd, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=fields, restval="")
            w.writeheader()
            w.writerows(rows)
        os.replace(tmp, self.metrics_path)

    def append_metrics(self, rows: list[dict]) -> None:
        """Add rows; columns that appear later (e.g. losses once updates start) are kept."""
        if rows:
            self.write_metrics(self.read_metrics() + rows)

    def truncate_metrics(self, after_step: int) -> None:
        """Drop metric rows past ``after_step`` (written after the checkpoint we resume from)."""
        rows = self.read_metrics()
        keep = [r for r in rows if int(r["step"]) <= after_step]
        if len(keep) != len(rows):
            self.write_metrics(keep)

    def mark_done(self, summary: dict) -> None:
        write_json_atomic(self.path / "done", summary)

    def summary(self) -> dict:
        """What ``mark_done`` wrote (the finished run's ``time_s``, ``last_return``, ...); {} while unfinished."""
        return json.loads((self.path / "done").read_text()) if self.done else {}


VOLATILE = ("device", "progress")


def _comparable(config: dict) -> dict:
    return {k: v for k, v in config.items() if k not in VOLATILE}


@contextmanager
def file_lock(path: str | Path):
    """Hold an exclusive lock on ``path`` (created if missing): processes that train the same run or
    build the same dataset (notebooks executed in parallel) wait for each other instead of colliding."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def run_key(**parts) -> str:
    """A short hash of everything that defines a run, plus the acalib version: cached runs are
    reused only while both are unchanged."""
    text = json.dumps({**parts, "acalib_version": __version__}, sort_keys=True, default=str)
    return hashlib.sha1(text.encode()).hexdigest()[:10]

