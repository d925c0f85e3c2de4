"""The benchmark's bookkeeping (its timings are measured by `acalib bench`, not asserted here)."""
from argparse import Namespace

import pytest

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


@pytest.mark.parametrize("algo, reason", [("td3_bc", "td3_bc updates its actor every second step"),
                                          ("br", "br re-scores its sum tree between updates")])
def test_methods_without_a_graph_update_refuse_one(algo, reason):
    with pytest.raises(ValueError, match=f"{reason}; run it without --cuda-graph"):
        bench.make_agent(algo, [0], "cpu", cuda_graph=True)
