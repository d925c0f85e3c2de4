"""Checkpoints: written to a temporary file and renamed, loaded with ``weights_only=True``.

Every checkpoint ends with ``SHA256_MAGIC`` and the SHA-256 of the bytes before it; ``load_checkpoint``
verifies it, so a file damaged on disk (zeroed or overwritten blocks, cut short) is refused with its
name instead of being trained on. A checkpoint may be stored xz-compressed (``*.pt.xz``: the committed starting points of the claims
profile); ``load_checkpoint`` reads both. ``transfer_state`` trims a finished offline run's state to
what the runs starting from it read (the optimiser states that only offline training uses go).
"""
from __future__ import annotations

import hashlib
import io
import lzma
from pathlib import Path

import torch

from .runs import atomic_file

SHA256_MAGIC = b"\nacalib-sha256:"
TRAILER_BYTES = len(SHA256_MAGIC) + 64
OFFLINE_ONLY_OPTIMIZERS = ("baseline",)  # Z(s)'s Adam: Z is never trained online (R <- Z copies its weights)
# xz for float32 payloads: LZMA2 at preset 6 with 4-byte literal alignment (lc 0, lp 2, pb 2); still a plain
# .xz file (any xz reads it), 7 % smaller than preset 6 alone on a claims SAC+ML checkpoint (13.4 vs 14.5 MB)
XZ_FILTERS = ({"id": lzma.FILTER_LZMA2, "preset": 6, "lc": 0, "lp": 2, "pb": 2},)


def packed_checkpoint(state: dict) -> bytes:
    """``state`` as a checkpoint file's bytes: ``torch.save``'s, then ``SHA256_MAGIC`` and their SHA-256."""
    buffer = io.BytesIO()
    torch.save(state, buffer)
    payload = buffer.getvalue()
    return payload + SHA256_MAGIC + hashlib.sha256(payload).hexdigest().encode()


def xz_pack(payload: bytes) -> bytes:
    """A checkpoint file's bytes xz-compressed with ``XZ_FILTERS`` (``lzma.decompress`` reads them)."""
    return lzma.compress(payload, format=lzma.FORMAT_XZ, filters=list(XZ_FILTERS))


def save_checkpoint(path: str | Path, state: dict) -> None:
    """``state`` to ``path`` with its SHA-256 trailer, via a temporary file and a rename (xz-compressed
    when ``path`` ends in .xz). An error leaves the previous file as it was."""
    path = Path(path)
    payload = packed_checkpoint(state)
    with atomic_file(path, "wb") as f:
        f.write(xz_pack(payload) if path.suffix == ".xz" else payload)


def verified_payload(path: Path, raw: bytes, legacy_ok: bool = False) -> bytes:
    """The torch bytes of a checkpoint file's contents, after checking its SHA-256 trailer."""
    if raw[-TRAILER_BYTES:-64] != SHA256_MAGIC:
        if legacy_ok:  # the zoo's policies (in git, which checks them) were written before the trailer
            return raw
        raise ValueError(f"checkpoint {path} has no integrity checksum (cut short, damaged, or not written by "
                         f"this acalib); it cannot be trusted: delete it (a run then restarts from an earlier "
                         f"checkpoint or from scratch)")
    payload, digest = raw[:-TRAILER_BYTES], raw[-64:].decode(errors="replace")
    if hashlib.sha256(payload).hexdigest() != digest:
        raise ValueError(f"checkpoint {path} is damaged (its SHA-256 does not match the one written with it); "
                         f"delete the run directory to train the run again")
    return payload


def load_checkpoint(path: str | Path, map_location: str | torch.device = "cpu", legacy_ok: bool = False) -> dict:
    """A checkpoint written by ``save_checkpoint``, verified and loaded with ``weights_only=True``.
    ``legacy_ok``: also accept a file without the checksum trailer (the zoo's policies)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint {path} does not exist")
    try:
        raw = path.read_bytes()
        if path.suffix == ".xz":
            raw = lzma.decompress(raw)
    except (OSError, lzma.LZMAError) as e:
        raise ValueError(f"checkpoint {path} cannot be read: {e}") from None
    payload = verified_payload(path, raw, legacy_ok)
    try:
        return torch.load(io.BytesIO(payload), map_location=map_location, weights_only=True)
    except Exception as e:  # foreign files, or pickled objects weights_only refuses
        raise ValueError(f"checkpoint {path} cannot be read: {e}") from None


def transfer_state(state: dict) -> dict:
    """A finished offline run's checkpoint without what no later run reads: the loop's buffer and the
    optimiser states of ``OFFLINE_ONLY_OPTIMIZERS`` (named in ``agent.dropped_optimizers``, so that
    loading it leaves those optimisers fresh instead of failing)."""
    agent = dict(state["agent"])
    dropped = [k for k in OFFLINE_ONLY_OPTIMIZERS if k in agent["optimizers"]]
    agent["optimizers"] = {k: v for k, v in agent["optimizers"].items() if k not in dropped}
    agent["dropped_optimizers"] = dropped
    return {k: v for k, v in state.items() if k != "buffer"} | {"agent": agent}
