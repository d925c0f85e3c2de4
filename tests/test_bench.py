"""The benchmark's bookkeeping (its timings are measured by `acalib bench`, not asserted here)."""
from argparse import Namespace

from acalib import bench


def test_graph_rows_only_for_algorithms_with_a_graph_update(monkeypatch, tmp_path):
    timed = []
    monkeypatch.setattr(bench, "time_updates",
                        lambda algo, runs, device, updates, cuda_graph=False: timed.append((algo, cuda_graph)) or 0.01)
    args = Namespace(device="cpu", seeds="1", algos="sac,td3_bc,br", updates=1, cuda_graph=True,
                     d3rlpy_python=None, rounds=1, json=str(tmp_path / "b.json"))
    rows = bench.main(args)["rows"]
    assert timed == [("sac", False), ("sac", True), ("td3_bc", False), ("br", False)]
    assert [(r["algo"], r["mode"]) for r in rows] == [("sac", "eager"), ("sac", "graph"), ("td3_bc", "eager"),
                                                      ("br", "eager")]
    assert (tmp_path / "b.json").is_file()
