"""Run directories: the full config, metrics as CSV, checkpoints.

    <out>/config.json          everything needed to rerun (algo, dataset, seeds, steps, hyperparameters)
    <out>/metrics.csv          one row per (evaluation step, seed)
    <out>/checkpoints/last.pt  the latest checkpoint (resume point)
    <out>/checkpoints/final.pt the checkpoint at the last step (what online runs start from)
    <out>/done                 written last: the run finished

An unfinished run can be committed as a resume point (``snapshot_run``: its config, metrics and
``checkpoints/last.pt.xz``) and restored into a fresh runs folder (``restore_snapshot``), so that long
runs outlive the machine that trains them.
"""
from __future__ import annotations

import csv
import fcntl
import hashlib
import json
import lzma
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path


from . import __version__


_UMASK = os.umask(0)
os.umask(_UMASK)


@contextmanager
def atomic_file(path: str | Path, mode: str = "w", **kwargs):
    """Write ``path`` through a temporary file in its folder, renamed into place when the block ends:
    never half-written. An OS error (read-only or full disk) removes the temporary file, leaves the
    previous ``path`` as it was, and is raised with ``path`` as its file name."""
    path = Path(path)
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        os.fchmod(fd, 0o666 & ~_UMASK)  # as open() would have made it (mkstemp: 0600)
        with os.fdopen(fd, mode, **kwargs) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as e:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        raise OSError(e.errno, e.strerror, str(path)) from None
    except BaseException:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        raise


@contextmanager
def atomic_dir(path: str | Path):
    """Build the folder ``path`` in a temporary sibling (yielded), renamed into place when the block
    ends, replacing what was there: an interrupted or failed block leaves ``path`` as it was and no
    half-written folder behind."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    try:
        tmp.chmod(0o777 & ~_UMASK)  # as mkdir() would have made it (mkdtemp: 0700)
        yield tmp
        if path.exists():
            shutil.rmtree(path)
        os.replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def write_json_atomic(path: Path, obj: dict) -> None:
    with atomic_file(path) as f:
        json.dump(obj, f, indent=2, sort_keys=True, default=str)


def write_text_atomic(path: Path, text: str) -> None:
    """Text to ``path`` via a temporary file and a rename: never half-written."""
    with atomic_file(path, encoding="utf-8") as f:
        f.write(text)


def write_csv_atomic(frame, path: Path, float_format: str | None = None) -> None:
    """A DataFrame to CSV via a temporary file and a rename: never half-written. A path ending in ``.xz`` is
    written xz-compressed (its CRC32 makes a corrupted file an error on reading; ``pd.read_csv`` infers it)."""
    if Path(path).suffix == ".xz":
        text = frame.to_csv(index=False, float_format=float_format, lineterminator="\n")
        with atomic_file(path, "wb") as f:
            f.write(lzma.compress(text.encode(), preset=6))
        return
    with atomic_file(path, newline="") as f:
        frame.to_csv(f, index=False, float_format=float_format)


class RunLockedError(RuntimeError):
    """Another process holds the run directory."""


def read_json(path: Path, what: str):
    """A JSON file, or a ValueError naming the file and what it should hold."""
    try:
        return json.loads(Path(path).read_text())
    except json.JSONDecodeError as e:
        raise ValueError(f"{path} is not valid JSON ({e.msg} at line {e.lineno}); it should be {what}") from None
    except UnicodeDecodeError:
        raise ValueError(f"{path} is not a text file; it should be {what}") from None


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
        """``final.pt``, or the compressed transfer checkpoint ``final.pt.xz`` of a committed run."""
        plain = self.checkpoints / "final.pt"
        packed = self.checkpoints / "final.pt.xz"
        return packed if packed.is_file() and not plain.is_file() else plain

    @property
    def done(self) -> bool:
        return (self.path / "done").exists()

    def spec(self) -> dict | None:
        """The ``RunSpec`` (as a dict) the run was executed from, or None (a run made from the command line
        without one, or before acalib recorded it)."""
        return self.config().get("spec")

    def config(self) -> dict:
        if not self.config_path.is_file():
            raise FileNotFoundError(f"{self.path} is not an acalib run directory (no config.json)")
        return read_json(self.config_path, "a run's config.json")

    @contextmanager
    def exclusive(self):
        """Hold this run directory for one process (``.run.lock``, with the holder's pid in it): a second
        process training the same ``--out`` stops at once with a message naming the holder, instead of
        both appending to its metrics. Creates the directory; refuses a path that is a file."""
        if self.path.exists() and not self.path.is_dir():
            raise NotADirectoryError(f"--out {self.path} is a file, not a run directory; choose another --out")
        self.path.mkdir(parents=True, exist_ok=True)
        with open(self.path / ".run.lock", "a+") as f:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                f.seek(0)
                holder = f.read().strip() or "unknown"
                raise RunLockedError(f"{self.path} is being trained by another process (pid {holder}); wait for it "
                                     f"to finish or choose another --out") from None
            f.seek(0)
            f.truncate()
            f.write(str(os.getpid()))
            f.flush()
            try:
                yield self
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)

    def prepare(self, config: dict, defaults: dict | None = None) -> bool:
        """Create the directory or check it belongs to the same run. Returns True to resume.

        ``defaults``: the hyperparameter defaults; a field added to a config class after the run
        was made counts as equal when the run's config lacks it and the new value is its default.
        """
        config = json.loads(json.dumps({**config, "acalib_version": __version__}, default=str))  # as stored
        if self.path.exists() and not self.path.is_dir():
            raise NotADirectoryError(f"--out {self.path} is a file, not a run directory; choose another --out")
        self.clean_interrupted()
        if self.config_path.is_file():
            old = read_json(self.config_path, "a run's config.json")
            if not isinstance(old, dict) or "stage" not in old:
                raise ValueError(f"{self.config_path} is not an acalib run config (got {type(old).__name__} without "
                                 f"a 'stage'); choose another --out, or delete the directory to start afresh")
            if defaults and "hyperparameters" in old:
                filled = json.loads(json.dumps(defaults, default=str))
                old["hyperparameters"] = {**filled, **old["hyperparameters"]}
            if _comparable(old) != _comparable(config):
                was, now = (c.get("dataset") if isinstance(c.get("dataset"), dict) else {} for c in (old, config))
                if was.get("sha256") != now.get("sha256") and {**was, "sha256": None} == {**now, "sha256": None}:
                    raise ValueError(f"the dataset of {self.path} changed since the run started ({now.get('source')}: "
                                     f"SHA-256 {was.get('sha256')} then, {now.get('sha256')} now); resuming on other "
                                     f"data is refused: restore the file or choose another --out")
                diff = sorted(k for k in set(old) | set(config) if old.get(k) != config.get(k)
                              and k not in VOLATILE)
                raise ValueError(f"{self.path} holds a different run (differs in {diff}); choose another --out")
            self._record_execution(old, config)
            return self.last_checkpoint.is_file()
        foreign = [p.name for p in (self.path.iterdir() if self.path.is_dir() else [])
                   if not p.name.startswith(".") and not (p.is_dir() and not any(p.iterdir()))]
        if foreign:
            raise ValueError(f"{self.path} holds {sorted(foreign)} but no config.json: it is not an acalib run "
                             f"directory; choose another --out")
        self.checkpoints.mkdir(parents=True, exist_ok=True)
        write_json_atomic(self.config_path, config)
        return False

    def _record_execution(self, old: dict, config: dict) -> None:
        """A run resumed on another device or in the other compile mode records the new ones in its config,
        and what every earlier process used under ``earlier_executions``."""
        now = {k: config.get(k) for k in ("device", "compiled") if k in config}
        was = {k: old.get(k) for k in now}
        if now == was or self.done:  # a finished run is only read
            return
        earlier = [*old.get("earlier_executions", []), was]
        write_json_atomic(self.config_path, {**old, **now, "earlier_executions": earlier})

    def clean_interrupted(self) -> list[Path]:
        """Remove the temporary files of writes a killed process left (``.last.pt.*``, ``.metrics.csv.*``,
        ...). Call it holding ``exclusive()``: no live writer of this run then exists."""
        stale = [*self.path.glob(".config.json.*"), *self.path.glob(".metrics.csv.*"), *self.path.glob(".done.*"),
                 *self.checkpoints.glob(".*.pt.*"), *self.checkpoints.glob(".*.pt.xz.*")]
        for tmp in stale:
            tmp.unlink(missing_ok=True)
        return stale

    def read_metrics(self) -> list[dict]:
        """The rows of metrics.csv; a row cut short or with a non-numeric step or seed is an error naming the file."""
        if not self.metrics_path.is_file():
            return []
        try:
            with open(self.metrics_path, newline="") as f:
                reader = csv.DictReader(f)
                rows = list(reader)
                fields = reader.fieldnames or []
        except (UnicodeDecodeError, csv.Error) as e:
            raise ValueError(f"{self.metrics_path} is not a readable CSV file ({e})") from None
        for line, row in enumerate(rows, start=2):
            if None in row or any(row.get(k) is None for k in fields) or not {"step", "seed"} <= set(fields):
                raise ValueError(f"{self.metrics_path} line {line} is damaged (cut short or with extra fields); "
                                 f"delete the run directory to train it again")
            for key in ("step", "seed"):
                try:
                    int(row[key])
                except ValueError:
                    raise ValueError(f"{self.metrics_path} line {line}: {key} {row[key]!r} is not an integer; "
                                     f"delete the run directory to train it again") from None
        return rows

    def resume_metrics(self, step: int, seeds: list[int], evaluations: list[int]) -> None:
        """On resume from a checkpoint at ``step``: drop the rows written after it and check that each of
        the ``evaluations`` (the steps evaluated up to it) has exactly one row per seed and that no
        other step has rows; anything else is refused, naming the file."""
        self.truncate_metrics(step)
        by_step: dict[int, list[int]] = {}
        for row in self.read_metrics():
            by_step.setdefault(int(row["step"]), []).append(int(row["seed"]))
        for at in sorted(set(evaluations) ^ set(by_step)):
            what = "is missing" if at in evaluations else "is not an evaluation step of this run"
            raise ValueError(f"{self.metrics_path} does not match the checkpoint at step {step}: the evaluation "
                             f"at step {at} {what}; delete the run directory to train it again")
        for at, have in sorted(by_step.items()):
            if sorted(have) != sorted(seeds):
                raise ValueError(f"{self.metrics_path} does not match the checkpoint at step {step}: the evaluation "
                                 f"at step {at} has rows for seeds {sorted(have)}, expected {sorted(seeds)}; "
                                 f"delete the run directory to train it again")

    def write_metrics(self, rows: list[dict]) -> None:
        """Rewrite metrics.csv atomically with the union of every row's columns."""
        fields = list(dict.fromkeys(k for row in rows for k in row))
        with atomic_file(self.metrics_path, newline="") as f:
            w = csv.DictWriter(f, fieldnames=fields, restval="")
            w.writeheader()
            w.writerows(rows)

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
        return read_json(self.path / "done", "a finished run's summary") if self.done else {}


VOLATILE = ("device", "progress", "compiled")  # how a run is executed, not what it is: may change on resume
RECORDS = ("earlier_executions", "spec")  # what a config records beside the run (the spec: its directory's key)


def _comparable(config: dict) -> dict:
    """What must match to resume: all but how the run is executed; the run it starts from by name (its
    key), not by the folder it was found in (a runs folder, or a snapshot restored on another machine)."""
    same = {k: v for k, v in config.items() if k not in (*VOLATILE, *RECORDS)}
    if isinstance(same.get("init"), str):
        same["init"] = Path(same["init"]).name
    return same


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



EXPORTED_FILES = ("config.json", "metrics.csv", "done")


def export_run(run: RunDir, dest: str | Path, checkpoint: bool = False) -> RunDir:
    """Copy a finished run into ``dest`` (a folder under ``results/runs/``) as it is committed: its
    config, metrics and done summary, and with ``checkpoint`` its final checkpoint trimmed to what
    later runs read and xz-compressed (``checkpoints/final.pt.xz``). Written into a temporary folder
    and renamed, so an interrupted export leaves no half run behind."""
    from .checkpoint import load_checkpoint, save_checkpoint, transfer_state

    if not run.done:
        raise ValueError(f"{run.path} has not finished (no done file): only finished runs are exported")
    with atomic_dir(dest) as tmp:
        for name in EXPORTED_FILES:
            shutil.copy2(run.path / name, tmp / name)
        if checkpoint:
            save_checkpoint(tmp / "checkpoints" / "final.pt.xz", transfer_state(load_checkpoint(run.final_checkpoint)))
    return RunDir(dest)


def snapshot_run(run: RunDir, dest: str | Path, drop_buffer: bool = False, extra: tuple[str, ...] = ()) -> RunDir:
    """Copy an unfinished run's resume point into ``dest`` (a folder under ``results/resume/``): its
    ``checkpoints/last.pt`` byte for byte, xz-compressed (``last.pt.xz``, its SHA-256 trailer kept), then its
    metrics and config. The checkpoint is read first: the loop writes an evaluation's metrics before the
    checkpoint of the same step, so the metrics copied after it cover every evaluation it has (resume drops
    the later rows). Runs whose checkpoint holds a replay buffer (online runs) are refused: buffers are
    never committed. ``drop_buffer`` (the zoo's long SAC runs, ``acalib zoo snapshot``): snapshot such a run
    without its buffer instead; resumed from it, the run refills an empty buffer before it updates again
    (``train.loop.REFILL_STEPS``), so it is no longer the run an uncut one would have been. ``extra``: more of
    the run's files (paths relative to it) to carry, restored with it. Written into a temporary folder and renamed."""
    from .checkpoint import load_checkpoint, packed_checkpoint, verified_payload, xz_pack

    if run.done:
        raise ValueError(f"{run.path} has finished: export it (``export_run``) instead of snapshotting it")
    if not run.last_checkpoint.is_file():
        raise ValueError(f"{run.path} has no checkpoint yet (checkpoints/last.pt): nothing to resume from")
    raw = run.last_checkpoint.read_bytes()
    verified_payload(run.last_checkpoint, raw)
    state = load_checkpoint(run.last_checkpoint)
    if "buffer" in state:
        if not drop_buffer:
            raise ValueError(f"{run.path}'s checkpoint holds a replay buffer (an online run): buffers are not "
                             f"committed, so it cannot be snapshotted; let it finish")
        raw = packed_checkpoint({k: v for k, v in state.items() if k != "buffer"})
    with atomic_dir(dest) as tmp:
        (tmp / "checkpoints").mkdir()
        (tmp / "checkpoints" / "last.pt.xz").write_bytes(xz_pack(raw))
        for name in ("metrics.csv", "config.json", *extra):
            (tmp / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(run.path / name, tmp / name)
    return RunDir(dest)


def restore_snapshot(snapshot: str | Path, path: str | Path) -> RunDir:
    """Lay a resume point made by ``snapshot_run`` out as the run directory ``path`` (which must hold no
    checkpoint: what a killed run left before its first one is replaced), checking the checkpoint's
    SHA-256, with every other file the snapshot carries. Training ``path`` then resumes where the snapshot
    stopped, bit for bit (or with a refilled buffer, ``snapshot_run(drop_buffer=True)``)."""
    from .checkpoint import verified_payload

    snapshot, path = Path(snapshot), Path(path)
    packed = snapshot / "checkpoints" / "last.pt.xz"
    if not packed.is_file():
        raise FileNotFoundError(f"{snapshot} is not a run snapshot (no checkpoints/last.pt.xz)")
    if RunDir(path).last_checkpoint.is_file():
        raise FileExistsError(f"{path} already has a checkpoint; a snapshot only starts a run that has none")
    try:
        raw = lzma.decompress(packed.read_bytes())
    except lzma.LZMAError as e:
        raise ValueError(f"snapshot checkpoint {packed} cannot be read: {e}") from None
    verified_payload(packed, raw)
    with atomic_dir(path) as tmp:
        (tmp / "checkpoints").mkdir()
        (tmp / "checkpoints" / "last.pt").write_bytes(raw)
        for file in snapshot.rglob("*"):
            if file.is_file() and file != packed:
                (tmp / file.relative_to(snapshot)).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(file, tmp / file.relative_to(snapshot))
    return RunDir(path)
