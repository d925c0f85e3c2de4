"""Faults and bad input, as a hostile user tries them: each gets a clear error naming what is wrong
(before anything is written) or a clean recovery. Real processes and real signals where a kill is
the fault; a real read-only or full tmpfs where the disk is (skipped when mounting is not allowed).
The slow ones (a kill -9 mid-run) are marked and run by `make test-slow`."""
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest
import torch

from acalib import cli
from acalib.data import minari_io
from acalib.data.datasets import load_dataset
from acalib.runs import RunDir
from acalib.checkpoint import load_checkpoint, save_checkpoint

SMALL = ["--set", "hidden=[16,16]", "--set", "batch_size=16"]


def offline_args(out, steps=40, *extra):
    return ["offline", "--algo", "sac_ml", "--dataset", "hopper-random", "--size", "3000", "--seeds", "0",
            "--steps", str(steps), "--eval-interval", "20", "--eval-episodes", "1", "--out", str(out),
            "--no-progress", *SMALL, *extra]


def run_cli(args, capsys) -> tuple[int, str]:
    code = cli.main([str(a) for a in args])
    return code, capsys.readouterr().err


def subprocess_cli(args, env=None, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "acalib.cli", *map(str, args)], env={**os.environ, **(env or {})},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


@contextmanager
def killed_at_exit(proc: subprocess.Popen):
    """The process, killed (SIGKILL) when the block ends however it ends: no test leaves one running."""
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.wait()


# -- bad values: refused at once, nothing written -----------------------------------------------------
@pytest.mark.parametrize("flag, value, message", [
    ("--steps", "0", "--steps: must be a positive integer, got 0"),
    ("--steps", "-5", "--steps: must be a positive integer, got -5"),
    ("--eval-interval", "0", "--eval-interval: must be a positive integer, got 0"),
    ("--checkpoint-interval", "0", "--checkpoint-interval: must be a positive integer, got 0"),
    ("--eval-episodes", "x", "--eval-episodes: 'x' is not an integer"),
])
def test_bad_loop_numbers_are_refused_when_parsed(tmp_path, capsys, flag, value, message):
    args = offline_args(tmp_path / "run")
    if flag in args:
        args[args.index(flag) + 1] = value
    else:
        args += [flag, value]
    with pytest.raises(SystemExit) as exit_:
        cli.main(args)
    assert exit_.value.code == 2 and message in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("setting, message", [
    ("batch_size=0", "batch_size must be >= 1, got 0"),
    ("actor_lr=abc", "actor_lr must be a finite number, got 'abc'"),
    ("gamma=1.5", "gamma must be in (0, 1], got 1.5"),
    ("hidden=[0]", "hidden must be one or more layer widths >= 1"),
    ("z_target=paperish", "unknown z_target 'paperish'; valid: ['official', 'paper']"),
    ("n_critics=2.5", "n_critics must be an integer, got 2.5"),
])
def test_bad_set_values_are_refused_before_anything_is_written(minari_root, tmp_path, capsys, setting, message):
    code, err = run_cli(offline_args(tmp_path / "run", 40, "--set", setting), capsys)
    assert code == 2 and message in err
    assert not (tmp_path / "run").exists()


def test_bad_online_set_value_is_refused_before_the_run_is_written(minari_root, tmp_path, capsys):
    assert run_cli(offline_args(tmp_path / "off", 20), capsys)[0] == 0
    code, err = run_cli(["online", "--algo", "aca", "--init", tmp_path / "off", "--steps", "50", "--out",
                         tmp_path / "on", "--no-progress", "--set", "beta=abc"], capsys)
    assert code == 2 and "beta must be a finite number, got 'abc'" in err
    assert not (tmp_path / "on").exists()


# -- run directories -----------------------------------------------------------------------------------
def test_a_second_process_on_the_same_out_is_refused_naming_the_holder(minari_root, tmp_path):
    env = {"MINARI_DATASETS_PATH": str(minari_root), "OMP_NUM_THREADS": "1"}
    with killed_at_exit(subprocess_cli(offline_args(tmp_path / "run", 100_000), env)) as first:
        lock = tmp_path / "run" / ".run.lock"
        deadline = time.time() + 120
        while not (lock.is_file() and lock.read_text().strip() == str(first.pid)) and time.time() < deadline:
            assert first.poll() is None, first.communicate()
            time.sleep(0.2)
        second = subprocess_cli(offline_args(tmp_path / "run", 100_000), env)
        out, err = second.communicate(timeout=120)
    assert second.returncode == 2
    assert f"is being trained by another process (pid {first.pid})" in err


def test_out_that_is_a_file_or_another_programs_folder(minari_root, tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    code, err = run_cli(offline_args(tmp_path / "file"), capsys)
    assert code == 2 and f"--out {tmp_path / 'file'} is a file" in err
    other = tmp_path / "other"
    other.mkdir()
    (other / "metrics.csv").write_text("a,b\n1,2\n")
    code, err = run_cli(offline_args(other), capsys)
    assert code == 2 and "holds ['metrics.csv'] but no config.json: it is not an acalib run directory" in err


@pytest.mark.parametrize("content, message", [
    ("{not json", "config.json is not valid JSON"),
    ("", "config.json is not valid JSON"),
    ("[1, 2]", "config.json is not an acalib run config"),
])
def test_a_damaged_config_json_is_named(minari_root, tmp_path, capsys, content, message):
    assert run_cli(offline_args(tmp_path / "run", 20), capsys)[0] == 0
    (tmp_path / "run" / "config.json").write_text(content)
    code, err = run_cli(offline_args(tmp_path / "run", 20), capsys)
    assert code == 2 and message in err and str(tmp_path / "run" / "config.json") in err


def unfinished_run(tmp_path, capsys, steps=60):
    """An offline run killed (by Ctrl-C) after its checkpoint at step 40, as a test fixture."""
    from acalib.algos.sac_ml import SACML
    real = SACML.update

    def interrupted(self, batch):
        if self.step == 50:
            raise KeyboardInterrupt
        return real(self, batch)

    mp = pytest.MonkeyPatch()
    mp.setattr(SACML, "update", interrupted)
    with pytest.raises(KeyboardInterrupt):
        cli.main([str(a) for a in offline_args(tmp_path / "run", steps)])
    mp.undo()
    capsys.readouterr()
    run = RunDir(tmp_path / "run")
    assert load_checkpoint(run.last_checkpoint)["loop"]["step"] == 40
    return run


def test_metrics_cut_short_or_garbled_are_refused_on_resume(minari_root, tmp_path, capsys):
    run = unfinished_run(tmp_path, capsys)
    good = run.metrics_path.read_text()
    run.metrics_path.write_text(good[: good.rindex("\n", 0, len(good) - 1) + 20])  # the last row cut mid-way
    code, err = run_cli(offline_args(run.path, 60), capsys)
    assert code == 2 and "metrics.csv line 3 is damaged" in err
    run.metrics_path.write_text(good.replace("offline,20,", "offline,twenty,"))
    code, err = run_cli(offline_args(run.path, 60), capsys)
    assert code == 2 and "step 'twenty' is not an integer" in err
    lines = good.splitlines()
    run.metrics_path.write_text("\n".join(lines[:1] + lines[2:]) + "\n")  # the step-20 row lost
    code, err = run_cli(offline_args(run.path, 60), capsys)
    assert code == 2 and "does not match the checkpoint at step 40: the evaluation at step 20 is missing" in err
    run.metrics_path.write_text(good)
    assert run_cli(offline_args(run.path, 60), capsys)[0] == 0  # intact again: resumes and finishes
    assert list(pd.read_csv(run.metrics_path)["step"]) == [20, 40, 60]


def test_interrupted_writes_leave_nothing_that_is_used(minari_root, tmp_path, capsys):
    run = unfinished_run(tmp_path, capsys)
    (run.checkpoints / ".last.pt.abc123").write_bytes(b"half a checkpoint")
    (run.path / ".metrics.csv.xyz").write_text("half")
    building = minari_root / ".building-acalib_hopper_random-3000-v0-dead"
    building.mkdir()
    assert run_cli(offline_args(run.path, 60), capsys)[0] == 0
    assert not (run.checkpoints / ".last.pt.abc123").exists() and not (run.path / ".metrics.csv.xyz").exists()
    minari_io.remove("acalib/hopper/random-3000-v0")  # the next build cleans up its interrupted one
    load_dataset("hopper-random", size=3000)
    assert not building.exists()


# -- checkpoints -------------------------------------------------------------------------------------
@pytest.mark.parametrize("damage", ["zeros", "ones", "truncate"])
def test_a_damaged_checkpoint_is_refused_naming_the_file(tmp_path, damage):
    path = tmp_path / "last.pt"
    save_checkpoint(path, {"w": torch.randn(5000)})
    raw = bytearray(path.read_bytes())
    if damage == "truncate":
        raw = raw[: len(raw) // 2]
    else:
        raw[4096:8192] = (b"\x00" if damage == "zeros" else b"\xff") * 4096
    path.write_bytes(bytes(raw))
    with pytest.raises(ValueError, match=f"checkpoint {path} (is damaged|has no integrity checksum)"):
        load_checkpoint(path)


def test_an_xz_checkpoint_is_a_plain_xz_file_smaller_than_preset_6(tmp_path):
    """``*.pt.xz``: any xz reader gets the checksummed payload back; the 4-byte-aligned filter packs float32
    weights tighter than plain preset 6; a damaged .xz is refused naming the file."""
    import lzma

    from acalib.checkpoint import packed_checkpoint

    state = {"w": torch.randn(256, 256) * 0.05, "b": torch.randn(256) * 0.01}
    path = tmp_path / "final.pt.xz"
    save_checkpoint(path, state)
    packed = path.read_bytes()
    assert lzma.decompress(packed) == packed_checkpoint(state)
    assert len(packed) < len(lzma.compress(packed_checkpoint(state), preset=6))
    assert all(torch.equal(load_checkpoint(path)[k], v) for k, v in state.items())
    path.write_bytes(packed[: len(packed) // 2])
    with pytest.raises(ValueError, match=f"checkpoint {path} cannot be read"):
        load_checkpoint(path)


def test_a_damaged_offline_checkpoint_stops_an_online_run_before_it_starts(minari_root, tmp_path, capsys):
    assert run_cli(offline_args(tmp_path / "off", 20), capsys)[0] == 0
    final = tmp_path / "off" / "checkpoints" / "final.pt"
    raw = bytearray(final.read_bytes())
    raw[2000:6096] = b"\x00" * 4096
    final.write_bytes(bytes(raw))
    code, err = run_cli(["online", "--algo", "aca", "--init", tmp_path / "off", "--steps", "50", "--out",
                         tmp_path / "on", "--no-progress"], capsys)
    assert code == 2 and f"checkpoint {final} is damaged" in err
    assert not (tmp_path / "on").exists()


class Payload:
    """Any class: a checkpoint that pickles one is refused by weights_only loading."""


def test_pickled_payloads_are_refused(tmp_path):
    import hashlib
    import io
    from acalib.checkpoint import SHA256_MAGIC
    path = tmp_path / "evil.pt"
    buffer = io.BytesIO()
    torch.save({"obj": Payload()}, buffer)  # with a valid trailer: only weights_only stops it
    payload = buffer.getvalue()
    path.write_bytes(payload + SHA256_MAGIC + hashlib.sha256(payload).hexdigest().encode())
    with pytest.raises(ValueError, match="cannot be read"):
        load_checkpoint(path)


# -- datasets ----------------------------------------------------------------------------------------
@pytest.fixture
def own_minari(tmp_path, monkeypatch, minari_root):
    """A private copy of the small generated dataset that a test may damage."""
    root = tmp_path / "minari"
    shutil.copytree(minari_root, root)
    monkeypatch.setenv("MINARI_DATASETS_PATH", str(root))
    return root / "acalib" / "hopper" / "random-3000-v0"


@pytest.mark.parametrize("damage", ["interior zeros", "truncated", "header zeros", "metadata garbled"])
def test_a_damaged_generated_dataset_is_refused_naming_the_file(own_minari, damage):
    main = own_minari / "data" / "main_data.hdf5"
    raw = bytearray(main.read_bytes())
    if damage == "interior zeros":
        raw[len(raw) // 2: len(raw) // 2 + 4096] = b"\x00" * 4096
    elif damage == "truncated":
        raw = raw[: len(raw) // 3]
    elif damage == "header zeros":
        raw[:512] = b"\x00" * 512
    if damage == "metadata garbled":
        (own_minari / "data" / "metadata.json").write_text("{garbled")
    else:
        main.write_bytes(bytes(raw))
    with pytest.raises(ValueError, match="damaged") as err:
        load_dataset("hopper-random", size=3000)
    assert str(own_minari) in str(err.value)


def test_a_foreign_minari_dataset_that_cannot_be_read_is_named(own_minari, tmp_path, monkeypatch):
    foreign = own_minari.parent.parent.parent / "someone" / "hopper" / "data-v0"
    foreign.parent.mkdir(parents=True)
    shutil.copytree(own_minari, foreign)
    (foreign / minari_io.CHECKSUMS).unlink()  # a user's dataset: no acalib checksums
    (foreign / "data" / "main_data.hdf5").write_bytes(b"\x00" * 4096)
    with pytest.raises(ValueError, match="someone/hopper/data-v0.* cannot be read"):
        load_dataset("someone/hopper/data-v0")


def write_d4rl(path: Path, n=300, short=0):
    rng = np.random.default_rng(0)
    timeouts = np.zeros(n, bool)
    timeouts[99::100] = True
    with h5py.File(path, "w") as f:
        f["observations"] = rng.standard_normal((n, 11)).astype(np.float32)
        f["next_observations"] = rng.standard_normal((n - short, 11)).astype(np.float32)
        f["actions"] = np.tanh(rng.standard_normal((n, 3))).astype(np.float32)
        f["rewards"] = rng.standard_normal(n).astype(np.float32)
        f["terminals"] = np.zeros(n, bool)
        f["timeouts"] = timeouts


def test_a_d4rl_file_with_short_next_observations_is_named(tmp_path):
    write_d4rl(tmp_path / "hopper-medium-v2.hdf5", short=5)
    with pytest.raises(ValueError, match=r"hopper-medium-v2.hdf5: lengths differ.*'next_observations': 295"):
        load_dataset("hopper-medium", d4rl_dir=str(tmp_path))


def test_a_changed_foreign_dataset_is_refused_on_resume(minari_root, tmp_path, capsys):
    d4rl = tmp_path / "d4rl"
    d4rl.mkdir()
    write_d4rl(d4rl / "hopper-medium-v2.hdf5")
    args = ["offline", "--algo", "sac_ml", "--dataset", "hopper-medium", "--d4rl-dir", d4rl, "--seeds", "0",
            "--steps", "20", "--eval-interval", "20", "--eval-episodes", "1", "--out", tmp_path / "run",
            "--no-progress", *SMALL]
    assert run_cli(args, capsys)[0] == 0
    recorded = json.loads((tmp_path / "run" / "config.json").read_text())["dataset"]["sha256"]
    assert recorded == minari_io.file_sha256(d4rl / "hopper-medium-v2.hdf5")
    with h5py.File(d4rl / "hopper-medium-v2.hdf5", "r+") as f:
        f["rewards"][0] = 1e6
    code, err = run_cli(args, capsys)
    assert code == 2 and "changed since the run started" in err


def test_datasets_info_reads_without_building(own_minari, capsys):
    assert cli.main(["datasets", "info", "acalib/hopper/random-3000-v0"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["total_steps"] == 3000 and info["name"] == "hopper-random"
    assert cli.main(["datasets", "info", "hopper-random"]) == 2  # the 1M level: not built, and not built now
    assert "build it with `acalib datasets build hopper-random`" in capsys.readouterr().err
    assert not minari_io.exists("acalib/hopper/random-v0")


# -- disks -------------------------------------------------------------------------------------------
@contextmanager
def tmpfs(path: Path, size: str, read_only: bool = False):
    path.mkdir(parents=True, exist_ok=True)
    options = f"size={size}" + (",ro" if read_only else "")
    if subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True).returncode:
        pytest.skip("mounting a tmpfs is not allowed here (needs root)")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


def test_out_on_a_read_only_filesystem_is_one_line(minari_root, tmp_path, capsys):
    with tmpfs(tmp_path / "ro", "1m", read_only=True) as ro:
        code, err = run_cli(offline_args(ro / "run", 20), capsys)
    assert code in (2, 4) and err.count("\n") == 1 and str(ro / "run") in err and "Read-only file system" in err


def test_a_full_disk_keeps_the_last_good_checkpoint(tmp_path):
    with tmpfs(tmp_path / "full", "256k") as disk:
        path = disk / "run" / "checkpoints" / "last.pt"
        save_checkpoint(path, {"w": torch.zeros(1000)})
        with pytest.raises(OSError) as err:
            save_checkpoint(path, {"w": torch.ones(200_000)})  # 800 kB: does not fit
        assert err.value.filename == str(path) and "No space left" in str(err.value)
        assert torch.equal(load_checkpoint(path)["w"], torch.zeros(1000))  # the previous one, intact
        assert [p.name for p in path.parent.iterdir()] == ["last.pt"]  # no temporary file left


def test_a_full_disk_mid_run_is_one_line_and_resumable(minari_root, tmp_path, capsys):
    assert run_cli(offline_args(tmp_path / "probe", 20), capsys)[0] == 0
    size = (tmp_path / "probe" / "checkpoints" / "last.pt").stat().st_size
    with tmpfs(tmp_path / "full", "8m") as disk:
        # room for the config, metrics and one checkpoint, not for a second one beside it (atomic writes)
        free = shutil.disk_usage(disk).free
        (disk / "filler").write_bytes(b"\x00" * (free - int(1.5 * size) - 64 * 1024))
        code, err = run_cli(offline_args(disk / "run", 400, "--checkpoint-interval", "20"), capsys)
        assert code == 4 and err.count("\n") == 1 and "No space left on device" in err
        last = RunDir(disk / "run").last_checkpoint
        if last.is_file():
            load_checkpoint(last)  # whatever was kept is a good checkpoint
        (disk / "filler").unlink()
        assert run_cli(offline_args(disk / "run", 400, "--checkpoint-interval", "20"), capsys)[0] == 0


# -- kills (real processes, real signals) -------------------------------------------------------------
@pytest.mark.slow
def test_online_run_killed_after_an_evaluation_loses_at_most_that_interval(minari_root, tmp_path, capsys, request):
    assert run_cli(offline_args(tmp_path / "off", 20), capsys)[0] == 0
    args = ["online", "--algo", "sac", "--init", tmp_path / "off", "--steps", "600", "--eval-interval", "100",
            "--eval-episodes", "1", "--out", tmp_path / "on", "--no-progress", "--set", "batch_size=16"]
    env = {"MINARI_DATASETS_PATH": str(minari_root), "OMP_NUM_THREADS": "1"}
    proc = subprocess_cli(args, env)
    request.addfinalizer(lambda: proc.poll() is None and proc.kill())
    metrics = tmp_path / "on" / "metrics.csv"
    deadline = time.time() + 300
    while time.time() < deadline and not (metrics.is_file() and "\n300," in metrics.read_text().replace("online,", "\n")):
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.2)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    step = load_checkpoint(RunDir(tmp_path / "on").last_checkpoint)["loop"]["step"]
    assert step >= 300  # the default checkpoint interval is the evaluation interval
    resumed = subprocess_cli(args, env)
    assert resumed.wait(timeout=300) == 0
    steps = pd.read_csv(metrics)["step"].tolist()
    assert steps == sorted(set(steps)) and steps == [0, 100, 200, 300, 400, 500, 600]


@pytest.mark.slow
def test_a_filesystem_turned_read_only_mid_run_is_one_line_and_keeps_the_last_checkpoint(minari_root, tmp_path):
    with tmpfs(tmp_path / "disk", "64m") as disk, ExitStack() as stack:
        args = offline_args(disk / "run", 100_000, "--checkpoint-interval", "20")
        proc = subprocess_cli(args, {"MINARI_DATASETS_PATH": str(minari_root), "OMP_NUM_THREADS": "1"})
        stack.enter_context(killed_at_exit(proc))
        last = RunDir(disk / "run").last_checkpoint
        deadline = time.time() + 300
        while not last.is_file() and time.time() < deadline:
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.2)
        run = str(disk / "run")  # a read-only bind mount over the run directory: new writes there fail
        assert subprocess.run(["mount", "--bind", run, run]).returncode == 0
        assert subprocess.run(["mount", "-o", "remount,ro,bind", run]).returncode == 0
        _, err = proc.communicate(timeout=300)
        subprocess.run(["umount", "-l", run])
        assert proc.returncode == 4 and err.strip().count("\n") == 0 and "Read-only file system" in err
        assert load_checkpoint(last)["loop"]["step"] >= 20  # the last good checkpoint, intact
