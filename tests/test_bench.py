"""The benchmark's bookkeeping (its timings are measured by `acalib bench`, not asserted here)."""
from argparse import Namespace

import pytest
import torch

from acalib import bench


def sac_gemms(runs: int, hidden: int = 256, n_critics: int = 2) -> list[tuple[int, int, int, int]]:
    """(members, m, k, n) of every matrix product of one SAC update, derived by hand from its losses:
    the actor at s (with backward) and at s'; the critics at (s, a) with backward and the targets at s';
    the actor loss's critic forward, with gradients to the action only."""
    b = bench.BATCH

    def mlp(members, sizes, forward, input_grads, weight_grads):
        out = []
        layers = list(zip(sizes[:-1], sizes[1:]))
        out += [(members, b, i, o) for i, o in layers] * forward
        for li, (i, o) in enumerate(layers):
            out += [(members, i, b, o)] * weight_grads  # dW = x^T dy
            if li > 0 or input_grads == "all":
                out += [(members, b, o, i)] * (1 if input_grads else 0)  # dx = dy W^T
        return out

    actor = [bench.OBS_DIM, hidden, hidden, 2 * bench.ACT_DIM]
    critic = [bench.OBS_DIM + bench.ACT_DIM, hidden, hidden, 1]
    c = runs * n_critics
    return mlp(runs, actor, 2, True, 1) + mlp(c, critic, 2, True, 1) + mlp(c, critic, 1, "all", 0)


def product_shape(func, layouts) -> tuple[int, int, int, int]:
    shapes = [layout[1] for layout in layouts if layout[0] == "tensor"]
    x, y = shapes[1:] if func.overloadpacket in (torch.ops.aten.addmm, torch.ops.aten.baddbmm) else shapes
    if len(x) == 2:
        x, y = (1, *x), (1, *y)
    return x[0], x[1], x[2], y[2]


@pytest.mark.parametrize("runs", [1, 3])
def test_recorded_gemms_of_a_sac_update_are_the_hand_derived_ones(runs):
    agent, buffer, compile_s = bench.bench_agent("sac", runs, "cpu")
    assert compile_s == 0.0
    recorded = [product_shape(func, layouts) for func, layouts, _ in bench.update_gemms(agent, buffer, 1)]
    assert sorted(recorded) == sorted(sac_gemms(runs))


def test_td3_bc_floor_averages_its_two_update_kinds():
    agent, buffer, _ = bench.bench_agent("td3_bc", 1, "cpu")
    with_actor, critic_only = (len(bench.update_gemms(agent, buffer, 1)) for _ in range(2))  # steps 0 and 1
    assert with_actor > critic_only  # the actor moves every second update, from the first
    assert len(bench.update_gemms(agent, buffer, 2)) == critic_only + with_actor


def test_broadcast_layouts_are_rebuilt_with_their_strides():
    t = bench._random_strided((5, 256, 64), (64, 0, 1), torch.float32, "cpu")
    assert t.shape == (5, 256, 64) and t.stride() == (64, 0, 1)
    assert torch.equal(t[:, 0], t[:, 255])


def test_modes_follow_what_each_method_supports():
    assert bench.bench_modes("sac", "cpu", compile=True, cuda_graph=True) == ["eager", "compiled"]  # no graph on a CPU
    assert bench.bench_modes("br", "cpu", compile=True, cuda_graph=False) == ["eager"]  # BR's update stays eager
    assert bench.bench_modes("sac", "cuda", compile=False, cuda_graph=True) == ["eager", "graph"]
    assert bench.bench_modes("td3_bc", "cuda", compile=True, cuda_graph=True) == ["eager", "compiled"]


def test_bench_rows_and_json(tmp_path):
    args = Namespace(device="cpu", seeds="1,2", algos="sac,br", updates=1, rounds=2, compile=False, cuda_graph=False,
                     d3rlpy_python=None, json=str(tmp_path / "b.json"))
    rows = bench.main(args)["rows"]
    assert [(r["algo"], r["seeds"], r["mode"]) for r in rows] == [("sac", 1, "eager"), ("sac", 2, "eager"),
                                                                  ("br", 1, "eager"), ("br", 2, "eager")]
    assert all(len(r["ms_rounds"]) == 2 and r["gemm_floor_ms"] > 0 for r in rows)
    assert (tmp_path / "b.json").is_file()


def test_unknown_method_names_the_valid_ones():
    args = Namespace(device="cpu", seeds="1", algos="sac,ppo", updates=1, rounds=1, compile=False, cuda_graph=False,
                     d3rlpy_python=None, json=None)
    with pytest.raises(ValueError, match=r"unknown bench algorithm 'ppo'; valid: \['sac', 'sac_ml'"):
        bench.main(args)


@pytest.mark.parametrize("algo, reason", [("td3_bc", "td3_bc updates its actor every second step"),
                                          ("br", "br re-scores its sum tree between updates")])
def test_methods_without_a_graph_update_refuse_one(algo, reason):
    with pytest.raises(ValueError, match=f"{reason}; run it without --cuda-graph"):
        bench.make_agent(algo, [0], "cpu", cuda_graph=True)
