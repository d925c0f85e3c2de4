"""The compiled update (``Agent.enable_compile``: one torch.compile'd program, gradients and Adam
inside it) against the eager one: the same weights, optimiser moments and statistics (to float32
rounding) after 50 updates from the same state, batches and noise, and a compiled run's state
resumed eagerly for 50 more. Everything agrees to 1e-4 (norm-wise) after 10 updates; training then
amplifies the first rounding differences, so after 50 and 100 the weights are compared to 1e-3 and the
Adam moments to 5e-2 (a wrong step, bias correction or clip moves the weights by far more). 1 seed of
SAC and ACA in `make test`; 3 seeds, SAC+ML, CQL, AWAC and TD3+BC in `make test-slow`."""
import pytest
import torch

from acalib.algos import ACA, SAC, SACConfig, SACML, SACMLConfig, aca_config
from acalib.data.buffers import Batch

OBS, ACT, BATCH = 11, 3, 64


def batches(runs: int, n: int = 8):
    g = torch.Generator().manual_seed(0)
    return [Batch(torch.randn(runs, BATCH, OBS, generator=g), torch.rand(runs, BATCH, ACT, generator=g) * 2 - 1,
                  torch.randn(runs, BATCH, generator=g), torch.randn(runs, BATCH, OBS, generator=g),
                  (torch.rand(runs, BATCH, generator=g) < 0.05).float()) for _ in range(n)]


def make(method: str, seeds: list[int]):
    small = {"hidden": (32, 32), "batch_size": BATCH}
    if method == "sac":
        return SAC(SACConfig(**small), OBS, ACT, seeds)
    if method in ("cql", "awac", "td3_bc"):
        from acalib.algos import OFFLINE_ALGOS
        cls = OFFLINE_ALGOS[method]
        return cls(cls.config_cls(**small), OBS, ACT, seeds)
    offline = SACML(SACMLConfig(**small), OBS, ACT, seeds)
    for batch in batches(len(seeds), 3):
        offline.update(batch)
    if method == "sac_ml":
        return offline
    return ACA.from_offline(offline, aca_config("medium", base=offline.config, batch_size=BATCH))


def assert_close_normwise(x, y, what: str, tol: float = 1e-3) -> None:
    """||x - y|| <= tol ||x||: float32 rounding, norm-wise. Fused and eager arithmetic first differ by
    ~1 ulp (3e-8 after one ACA update) and training amplifies it (2e-5 in the weights after 50), so an
    elementwise test would fail on single entries of a moment that is near zero."""
    x, y = x.detach().cpu().double(), y.detach().cpu().double()
    assert (x - y).norm() <= tol * x.norm() + 1e-12, f"{what}: relative difference {(x - y).norm() / x.norm():.2e}"


def assert_same_state(a, b, weights: float, moments: float):
    for (name, x), y in zip(a.state_dict().items(), b.state_dict().values()):
        assert_close_normwise(x, y, name, weights)
    for name in a.optimizers:
        for sa, sb in zip(a.optimizers[name].state.values(), b.optimizers[name].state.values()):
            for key in ("exp_avg", "exp_avg_sq", "step"):  # moments: averages of minibatch gradients, which
                # move most when a weight crosses a ReLU kink by a rounding error
                assert_close_normwise(sa[key], sb[key], f"{name} {key}", moments if key != "step" else 0.0)


@pytest.mark.parametrize("method, seeds", [
    ("sac", [0]), ("aca", [0]),
    pytest.param("sac_ml", [0], marks=pytest.mark.slow), pytest.param("sac", [0, 1, 2], marks=pytest.mark.slow),
    pytest.param("sac_ml", [0, 1, 2], marks=pytest.mark.slow), pytest.param("aca", [0, 1, 2], marks=pytest.mark.slow),
    *(pytest.param(m, s, marks=pytest.mark.slow) for m in ("cql", "awac", "td3_bc") for s in ([0], [0, 1, 2])),
])
def test_compiled_and_eager_updates_agree_and_share_checkpoints(method, seeds):
    eager, compiled = make(method, seeds), make(method, seeds)  # the same seeds: the same weights and streams
    compiled.enable_compile()
    data = batches(len(seeds))
    for i in range(50):
        a, b = eager.update(data[i % len(data)]), compiled.update(data[i % len(data)])
        if i == 9:  # before training has amplified the first rounding differences: everything to 1e-4
            for key in a:
                assert_close_normwise(a[key], b[key], f"statistic {key}", 1e-4)
            assert_same_state(eager, compiled, 1e-4, 1e-4)
    for key in a:
        assert_close_normwise(a[key], b[key], f"statistic {key}", 1e-2)
    assert_same_state(eager, compiled, 1e-3, 5e-2)
    resumed = make(method, seeds)  # the compiled run's checkpoint, continued eagerly
    resumed.load_state(compiled.state())
    for i in range(50, 100):
        eager.update(data[i % len(data)])
        resumed.update(data[i % len(data)])
    assert_same_state(eager, resumed, 1e-3, 5e-2)
    assert compiled.compiled and not resumed.compiled


def test_a_compiled_run_records_it_and_is_the_same_run_eagerly(minari_root, tmp_path):
    from acalib.experiment import run_offline
    from acalib.runs import RunDir

    settings = {"eval_interval": 20, "eval_episodes": 1, "progress": False}
    small = {"hidden": [32, 32], "batch_size": 32}
    run = run_offline("sac_ml", "hopper-random", [0], 40, tmp_path / "run", overrides=small, settings=settings,
                      size=3000, compile=True)
    assert run.done and run.config()["compiled"] is True
    (run.path / "done").unlink()  # as if killed after its last checkpoint (step 40)
    (run.path / "checkpoints" / "final.pt").unlink()
    run_offline("sac_ml", "hopper-random", [0], 40, tmp_path / "run", overrides=small, settings=settings,
                size=3000, compile=False)  # eagerly: the same run (not refused as a different one), resumed
    assert RunDir(run.path).summary()["step"] == 40
    config = RunDir(run.path).config()  # the later process's mode, and the earlier one's
    assert config["compiled"] is False and config["earlier_executions"] == [{"device": "cpu", "compiled": True}]
    with pytest.raises(ValueError, match="br re-scores its sum tree.*without --compile"):
        from acalib.experiment import run_online
        run_online("br", 10, tmp_path / "br", init=tmp_path / "run", compile=True)
    assert not (tmp_path / "br").exists()


def test_auto_compiles_only_long_runs_of_methods_that_can_be_compiled():
    from acalib.algos import BR, SAC as SACClass
    from acalib.experiment import COMPILE_MIN_UPDATES, resolve_compile

    assert resolve_compile(SACClass, None, COMPILE_MIN_UPDATES) is True
    assert resolve_compile(SACClass, None, COMPILE_MIN_UPDATES - 1) is False  # tiny and smoke runs stay eager
    assert resolve_compile(BR, None, 10 * COMPILE_MIN_UPDATES) is False  # BR's update stays eager
    assert resolve_compile(SACClass, None, 10 * COMPILE_MIN_UPDATES, cuda_graph=True) is False  # the graph asked for
    assert resolve_compile(SACClass, False, 10 * COMPILE_MIN_UPDATES) is False
    assert resolve_compile(SACClass, True, 1) is True
    with pytest.raises(ValueError, match="br re-scores its sum tree.*; run it without --compile"):
        resolve_compile(BR, True, 1)
    with pytest.raises(ValueError, match="--compile and --cuda-graph both asked for"):
        resolve_compile(SACClass, True, 1, cuda_graph=True)


@pytest.mark.parametrize("value, expected", [("on", True), ("off", False), ("auto", None), (None, None)])
def test_compile_setting_reaches_the_notebooks_studies_through_the_environment(monkeypatch, value, expected):
    from acalib.study import COMPILE_ENV, Study

    if value is None:
        monkeypatch.delenv(COMPILE_ENV, raising=False)
    else:
        monkeypatch.setenv(COMPILE_ENV, value)
    assert Study("tiny").compile is expected
    assert Study("tiny", compile=False).compile is False  # an explicit choice wins


def test_a_bad_compile_setting_names_the_valid_ones(monkeypatch, tmp_path):
    from acalib.study import COMPILE_ENV, Study
    from acalib.suite import reproduce

    monkeypatch.setenv(COMPILE_ENV, "yes")
    with pytest.raises(ValueError, match=r"\$ACALIB_COMPILE='yes'; valid: \['on', 'off', 'auto'\]"):
        Study("tiny")
    with pytest.raises(ValueError, match=r"unknown compile 'always'; valid: \['on', 'off', 'auto'\]"):
        reproduce("tiny", root=tmp_path, compile="always")
    assert not (tmp_path / "reports").exists()
