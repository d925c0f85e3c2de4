"""The ``acalib`` command line: offline / online runs, datasets, benchmarks."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import __version__


def parse_overrides(items: list[str]) -> dict:
    """['w=10', 'hidden=[64,64]'] -> {'w': 10, 'hidden': [64, 64]} (values parsed as JSON when possible)."""
    out = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValueError(f"bad --set {item!r}; use KEY=VALUE, e.g. --set w=10")
        try:
            out[key] = json.loads(value)
        except json.JSONDecodeError:
            out[key] = value
    return out


def positive_int(text: str) -> int:
    """argparse type: an integer >= 1 (``--steps 0`` is refused before anything is written)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {value}")
    return value


def gpu_share(text: str) -> float:
    """argparse type: the GPUs a run takes, a fraction in (0, 1] or a whole number."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not (0 < value <= 1 or (value > 1 and value.is_integer())):
        raise argparse.ArgumentTypeError(f"must be a fraction in (0, 1] or a whole number of GPUs, got {value}")
    return value


def add_compile_arg(p: argparse.ArgumentParser) -> None:
    from .experiment import COMPILE_MIN_UPDATES
    p.add_argument("--compile", action=argparse.BooleanOptionalAction, default=None,
                   help="run each update as one torch.compile'd program (compiles once, 14-25 s on this CPU; "
                        f"on a GPU replayed as a CUDA graph). Default: on for runs of >= {COMPILE_MIN_UPDATES:,} "
                        "updates of a method that can be compiled, where the compile time is repaid")


def add_loop_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--steps", type=positive_int, required=True, help="gradient steps (offline) or environment steps (online)")
    p.add_argument("--out", required=True, help="run directory (an unfinished run there is resumed)")
    p.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N or auto (default: cpu)")
    p.add_argument("--cuda-graph", action="store_true", help="replay each update as one CUDA graph (GPU only)")
    add_compile_arg(p)
    p.add_argument("--eval-interval", type=positive_int, default=1000)
    p.add_argument("--eval-episodes", type=positive_int, default=10)
    p.add_argument("--checkpoint-interval", type=positive_int, default=None,
                   help="steps between checkpoints (default: every evaluation)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a hyperparameter")
    p.add_argument("--d4rl-dir", help="directory of D4RL HDF5 files (default: $D4RL_DATASET_DIR)")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def loop_settings(a) -> dict:
    return {"eval_interval": a.eval_interval, "eval_episodes": a.eval_episodes,
            "checkpoint_interval": a.checkpoint_interval, "progress": not a.no_progress,
            **({"policy_snapshots": True} if getattr(a, "policy_snapshots", False) else {})}


def build_parser() -> argparse.ArgumentParser:
    from .algos import OFFLINE_ALGOS, ONLINE_ALGOS, ONLINE_VARIANTS

    parser = argparse.ArgumentParser(prog="acalib", description=__doc__)
    parser.add_argument("--version", action="version", version=f"acalib {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("offline", help="train offline on a dataset, all seeds in one process")
    p.add_argument("--algo", required=True, choices=sorted(OFFLINE_ALGOS))
    p.add_argument("--dataset", required=True, help="e.g. hopper-random, or a local Minari id")
    p.add_argument("--seeds", default="0", help="e.g. 0-4 or 0,3,7 (default: 0)")
    p.add_argument("--size", type=positive_int, help="transitions when the dataset is generated here")
    add_loop_args(p)

    p = sub.add_parser("online", help="fine-tune online from an offline run (or SAC from scratch)")
    p.add_argument("--algo", required=True, choices=sorted(ONLINE_ALGOS),
                   help="aca (from sac_ml, or cql with fit_baseline); sac (SAC->SAC from sac_ml, CQL->SAC from "
                        "cql, or from scratch); awac (from awac); br (from cql_ensemble or sac_ml_ensemble); "
                        "ablations: " + ", ".join(f"{n} = {b} with {p}" for n, (b, p) in ONLINE_VARIANTS.items()))
    p.add_argument("--init", help="finished offline run directory to start from")
    p.add_argument("--dataset", help="dataset (SAC from scratch: its environment and reference scores)")
    p.add_argument("--env", help="environment for SAC from scratch without a dataset, e.g. hopper")
    p.add_argument("--no-offline-data", action="store_true",
                   help="start with an empty buffer (paper Table 4; ACA's beta x 1.5 beyond random/medium)")
    p.add_argument("--policy-snapshots", action="store_true", help="keep the policy at every checkpoint")
    p.add_argument("--seeds", help="seeds (SAC from scratch; with --init the offline run's seeds)")
    add_loop_args(p)

    p = sub.add_parser("actor-only", help="actor-only updates on another dataset's states (paper Sec. 4)")
    p.add_argument("--init", required=True, help="finished offline run (sac_ml, cql, awac)")
    p.add_argument("--dataset", required=True, help="whose states to update on, e.g. hopper-random")
    p.add_argument("--critic", default="offline", choices=["offline", "aligned"],
                   help="the offline Q, or the aligned Q (R <- Z; needs a Z baseline)")
    p.add_argument("--size", type=positive_int, help="transitions when the dataset is generated here")
    add_loop_args(p)

    p = sub.add_parser("probe", help="offline Q vs aligned Q along perturbed actions (paper Fig. 4, 20, 21)")
    p.add_argument("--init", required=True, help="finished offline run with a Z baseline")
    p.add_argument("--ood", required=True, help="dataset of out-of-distribution states, e.g. hopper-random")
    p.add_argument("--states", type=positive_int, default=200, help="states per seed and distribution (paper: 200)")
    p.add_argument("--points", type=positive_int, default=41, help="points per action dimension in [-1, 1]")
    p.add_argument("--size", type=positive_int, help="transitions of --ood when it is generated here")
    p.add_argument("--out", required=True, help="CSV of every probe point")
    p.add_argument("--device", default="cpu")

    p = sub.add_parser("bench", help="updates per second per seed on this device")
    p.add_argument("--device", default="cpu")
    p.add_argument("--seeds", default="1,5", help="numbers of seeds to batch (default: 1,5)")
    p.add_argument("--algos", default="sac,sac_ml,aca,cql",
                   help="comma-separated, of sac, sac_ml, aca, cql, awac, td3_bc, br (default: sac,sac_ml,aca,cql)")
    p.add_argument("--updates", type=positive_int, default=None,
                   help="updates timed per round (default: about 0.4 s of them, 5 to 50)")
    p.add_argument("--compile", action=argparse.BooleanOptionalAction, default=True,
                   help="also time the compiled update (default: on; its compile time is printed)")
    p.add_argument("--cuda-graph", action="store_true", help="also time the CUDA-graph update (GPU only)")
    p.add_argument("--d3rlpy-python", help="python of a venv with d3rlpy 2.8.1: compare, alternating runs")
    p.add_argument("--rounds", type=positive_int, default=3, help="alternating rounds when comparing")
    p.add_argument("--json", help="also write the results here")

    p = sub.add_parser("reproduce", help="execute the notebook suite at a profile into reports/<profile>/")
    p.add_argument("--profile", default="claims", help="tiny, smoke, claims, lite or paper (default: claims)")
    p.add_argument("--only", help="some notebooks, by name or artifact, e.g. fig05,table2 (default: all)")
    p.add_argument("--jobs", type=positive_int, default=1, help="notebooks executed in parallel (default: 1)")
    p.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N or auto (default: cpu)")
    p.add_argument("--recompute", nargs="?", const="all", default="none", choices=("none", "online", "all"),
                   help="retrain runs instead of reusing them: all (the default when given), or online (every run "
                        "that starts from an offline run; the offline runs, e.g. those in results/runs, are kept)")
    p.add_argument("--compile", choices=("auto", "on", "off"), default="auto",
                   help="compiled updates in the notebooks' runs: auto (the default: runs long enough to repay the "
                        "compile time; on a GPU replayed as CUDA graphs), on, or off")
    p.add_argument("--executor", choices=("local", "ray"), default="local",
                   help="local (the default: notebooks train what they miss as they execute) or ray (the runs are "
                        "planned and trained as Ray tasks first, then the notebooks execute from them)")
    p.add_argument("--address", help="with --executor ray: the Ray cluster to join (default: start a local Ray)")
    p.add_argument("--root", dest="runs_root",
                   help="where runs are trained (default: $ACALIB_RUNS_DIR or runs/); on a cluster, shared storage")
    p.add_argument("--gpus-per-run", type=gpu_share,
                   help="with --executor ray --device cuda: the GPUs each run takes (default 1; 0.25: four share one)")
    p.add_argument("--no-progress", action="store_true")

    p = sub.add_parser("plan", help="list the runs a profile's notebooks need, without training anything")
    p.add_argument("--profile", default="claims", help="tiny, smoke, claims, lite or paper (default: claims)")
    p.add_argument("--only", help="some notebooks, by name or artifact, e.g. fig05,table2 (default: all)")
    p.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N or auto (default: cpu)")
    p.add_argument("--root", dest="runs_root", help="where runs are looked for (default: $ACALIB_RUNS_DIR or runs/)")
    p.add_argument("--json", help="also write the plan here (every run's RunSpec and what it starts from)")

    p = sub.add_parser("export-runs", help="copy a profile's finished runs into results/runs/<profile> (to commit)")
    p.add_argument("--profile", default="claims")
    p.add_argument("--from", dest="runs_root", help="where they were trained (default: $ACALIB_RUNS_DIR or runs/)")
    p.add_argument("--resume-points", action="store_true",
                   help="also commit each unfinished offline or actor-only run's last checkpoint under "
                        "results/resume/<profile>, from which a Study on another machine resumes it")

    p = sub.add_parser("claims", help="judge the paper's claims C1-C6 on a profile's finished runs")
    p.add_argument("--profile", default="claims", help="a profile whose runs are trained (default: claims)")
    p.add_argument("--interim", action="store_true",
                   help="judge only the tests whose runs have finished and name the missing runs "
                        "(writes claims_interim.csv/.md)")
    p.add_argument("--out", help="folder for claims.csv and claims.md (default: results/tables/<profile>)")

    p = sub.add_parser("cost", help="estimate a profile's cost from its grid made at a fraction of the steps")
    p.add_argument("--profile", required=True, help="a scaled profile already reproduced, e.g. lite/100")
    p.add_argument("--root", help="the checkout whose runs/ to read (default: this one)")
    p.add_argument("--impute-from", default="", help="other scaled passes of the profile (comma-separated, e.g. "
                   "lite/100) lending per-update costs to online runs that made too few updates")
    p.add_argument("--csv", help="also write every run's row here")

    p = sub.add_parser("datasets", help="list, inspect or build datasets")
    dsub = p.add_subparsers(dest="action", required=True)
    dsub.add_parser("list", help="datasets acalib knows and which are built")
    q = dsub.add_parser("info", help="size, source and reference scores of a dataset")
    q.add_argument("name")
    q.add_argument("--d4rl-dir")
    q = dsub.add_parser("build", help="generate a dataset (Minari, under MINARI_DATASETS_PATH)")
    q.add_argument("name", help="<env>-<level>, or 'all'")
    q.add_argument("--size", type=positive_int, help="transitions (default: 1M; medium-replay: its window; medium-expert: 2M)")

    p = sub.add_parser("zoo", help="train or export the behaviour-policy zoo")
    zsub = p.add_subparsers(dest="action", required=True)
    q = zsub.add_parser("train", help="SAC from scratch keeping a policy every 10k steps; stops at the "
                           "zoo's convergence rule (>= 500k steps, last 5 returns within 10%% of their mean, best return up "
                           "< 5%% in 100k steps); resumable")
    q.add_argument("--env", required=True)
    q.add_argument("--steps", type=positive_int, default=1_000_000, help="at most this many steps")
    q.add_argument("--seed", type=int, default=0)
    q.add_argument("--out", help="run directory (default: runs/zoo/<env>-sac-s<seed>)")
    q.add_argument("--device", default="cpu")
    q.add_argument("--cuda-graph", action="store_true")
    add_compile_arg(q)
    q = zsub.add_parser("snapshot", help="commit an unfinished zoo run's resume point without its replay buffer "
                           "(results/resume/zoo/<run name>); `zoo train` on another machine resumes from it, refilling "
                           "the buffer before it updates again")
    q.add_argument("--run", required=True, help="the zoo training run directory")
    q = zsub.add_parser("export", help="copy the checkpoints the levels need into zoo/<env>/")
    q.add_argument("--env", required=True)
    q.add_argument("--run", required=True, help="the zoo training run directory")
    return parser


def _loop(args) -> dict:
    """The loop settings a run's spec records (the progress bar is how it is shown, not what it is)."""
    return {k: v for k, v in loop_settings(args).items() if k not in ("progress", "policy_snapshots")}


def _execute(spec, args):
    from .spec import execute
    return execute(spec, args.out, init=getattr(args, "init", None), device=args.device,
                   compile=getattr(args, "compile", None),
                   progress=not args.no_progress, d4rl_dir=getattr(args, "d4rl_dir", None),
                   cuda_graph=getattr(args, "cuda_graph", False))


def _offline(args) -> int | None:
    from .seeding import parse_seeds
    from .spec import offline_spec
    spec = offline_spec(args.algo, args.dataset, args.steps, parse_seeds(args.seeds), _loop(args),
                        parse_overrides(args.set), size=args.size)
    print(f"offline run finished: {_execute(spec, args).path}")


def _online(args) -> int | None:
    from .runs import RunDir
    from .seeding import parse_seeds
    from .spec import online_spec
    seeds = parse_seeds(args.seeds) if args.seeds else None
    if args.init is None and args.dataset is None:  # SAC from scratch on an environment: no dataset to describe
        from .experiment import run_online
        run = run_online(args.algo, args.steps, args.out, env=args.env, seeds=seeds, device=args.device,
                         overrides=parse_overrides(args.set), settings=loop_settings(args), d4rl_dir=args.d4rl_dir,
                         cuda_graph=args.cuda_graph, offline_data=not args.no_offline_data, compile=args.compile)
    else:
        spec = online_spec(args.algo, args.steps, _loop(args), RunDir(args.init) if args.init else None,
                           args.dataset, seeds, parse_overrides(args.set), not args.no_offline_data)
        run = _execute(spec, args)
    print(f"online run finished: {run.path}")


def _actor_only(args) -> int | None:
    from .runs import RunDir
    from .spec import actor_only_spec
    spec = actor_only_spec(RunDir(args.init), args.dataset, args.steps, _loop(args), args.critic, size=args.size)
    print(f"actor-only run finished: {_execute(spec, args).path}")


def _probe(args) -> int | None:
    from .data.datasets import load_dataset, reload_dataset
    from .experiment import load_offline_agent, resolve_device
    from .probes import overestimated_fraction, q_probe_frame
    from .runs import write_csv_atomic
    offline, cfg = load_offline_agent(args.init, resolve_device(args.device))
    sets = {"in-distribution": reload_dataset(cfg["dataset"]).transitions,
            "out-of-distribution": load_dataset(args.ood, size=args.size).transitions}
    frame = q_probe_frame(offline, cfg["dataset"]["name"], sets, args.states, args.points)
    write_csv_atomic(frame, Path(args.out))
    print(overestimated_fraction(frame).to_string(index=False))


def _reproduce(args) -> int | None:
    from .suite import reproduce
    suite = reproduce(args.profile, only=args.only, jobs=args.jobs, device=args.device,
                      recompute=args.recompute, progress=not args.no_progress, compile=args.compile,
                      executor=args.executor, address=args.address, runs_root=args.runs_root,
                      gpus_per_run=args.gpus_per_run)
    if suite.runs is not None:
        for name, error in {**suite.runs.failed, **suite.runs.skipped}.items():
            print(f"acalib: run {name} failed: {error}", file=sys.stderr)
        print(f"ray: {len(suite.runs.trained)} runs trained, {len(suite.runs.failed)} failed, "
              f"{len(suite.runs.skipped)} not run, in {suite.runs.seconds:.0f} s")
    for r in suite.failed:
        print(f"acalib: notebook {r.name} failed: {r.error}", file=sys.stderr)
    print(f"report: {suite.index} ({len(suite.results) - len(suite.failed)} of {len(suite.results)} "
          f"notebooks ok)")
    if not suite.ok or (suite.runs is not None and not suite.runs.ok):
        return 1


def _plan(args) -> int | None:
    import pandas as pd

    from .plan import plan_notebooks, print_summary
    from .study import RUNS_ENV, repo_root
    from .suite import environment

    with environment({RUNS_ENV: str(Path(args.runs_root).resolve())} if args.runs_root else {}):
        plan = plan_notebooks(args.profile, args.only, device=args.device)
    # every measurement of the profile (a whole-grid pass, and passes of runs it lacks, e.g. AntMaze's)
    measured = sorted((repo_root() / "results" / "cost").glob(f"{plan.profile}-from-*.csv"))
    costs = pd.concat([pd.read_csv(path) for path in measured], ignore_index=True) if measured else None
    print(print_summary(plan, costs))
    if costs is not None:
        shown = ", ".join(str(path.relative_to(repo_root())) for path in measured)
        print(f"(hours: {shown}, `acalib cost` of scaled passes on this machine)")
    if args.json:
        print(f"plan written: {plan.write(args.json)}")


def _export_runs(args) -> int | None:
    from .study import export_runs
    written = export_runs(args.profile, runs_root=args.runs_root, resume_points=args.resume_points)
    points = sum("resume" in p.parts for p in written)
    print(f"exported {len(written) - points} runs and probes of profile {args.profile} into "
          f"results/runs/{args.profile}" + (f", {points} resume points into results/resume/{args.profile}"
                                             if args.resume_points else ""))


def _claims(args) -> int | None:
    from .claims import run_claims
    frame, paths = run_claims(args.profile, out_dir=args.out, interim=args.interim)
    print(frame[["claim", "subject", "statistic", "mean", "low", "high", "seeds", "verdict"]].to_string(
        index=False, float_format=lambda v: f"{v:.2f}"))
    print(f"written: {paths[0]} and {paths[1]}")


def _cost(args) -> int | None:
    from . import cost
    from .profiles import get_profile, scale_of
    from .study import repo_root
    frame = cost.run_costs(args.root or repo_root(), args.profile,
                           tuple(p for p in args.impute_from.split(",") if p))
    builds = cost.dataset_costs(frame, args.profile)
    base = scale_of(get_profile(args.profile))[0]
    print(cost.summary(frame).to_string())
    print(f"\n{base}, estimated from {args.profile} ({len(frame)} runs, {int(frame['imputed'].sum())} with "
          f"an imputed update cost): "
          f"{frame['total_s'].sum() / 3600:.1f} h of runs ({frame['eval_s'].sum() / 3600:.1f} h of it "
          f"evaluation, {frame['checkpoint_s'].sum() / 3600:.1f} h checkpoints), "
          f"plus {builds['build_s'].sum() / 3600:.1f} h to build {len(builds)} datasets "
          f"({builds['transitions'].sum() / 1e6:.2f}M transitions) if they are not built yet")
    if frame["total_s"].isna().any():
        print(f"not estimated (no run of their method made {cost.MIN_UPDATES} updates at this scale): "
              f"{sorted(frame.loc[frame['total_s'].isna(), 'algo'].unique())}; reproduce their notebooks "
              f"at a smaller divisor and pass it with --impute-from")
    if args.csv:
        from .runs import write_csv_atomic
        write_csv_atomic(frame, Path(args.csv))


def _bench(args) -> int | None:
    from .bench import main as bench_main
    bench_main(args)


def _datasets(args) -> int | None:
    from .data import datasets as D
    if args.action == "list":
        for row in D.list_datasets():
            print(f"{row['name']:28s} {row['status']}")
    elif args.action == "info":
        info = D.dataset_info(args.name, d4rl_dir=args.d4rl_dir)
        if D.ANTMAZE in info["name"]:  # loads the data: how often its episodes reach the goal
            info["goal_statistics"] = D.goal_statistics(args.name, d4rl_dir=args.d4rl_dir)
        print(json.dumps(info, indent=2))
    else:
        names = [r["name"] for r in D.list_datasets()] if args.name == "all" else [args.name]
        for name in names:
            env, level = D.parse_name(name)
            print(D.build_dataset(env, level, size=args.size))


def _zoo(args) -> int | None:
    if args.action == "train":
        from .data.zoo import remove_zoo_resume_point, restore_zoo_resume_point, stop_when_converged
        from .experiment import run_online
        out = args.out or f"runs/zoo/{args.env}-sac-s{args.seed}"
        restore_zoo_resume_point(out)
        run = run_online("sac", args.steps, out, env=args.env, seeds=[args.seed], device=args.device,
                         cuda_graph=args.cuda_graph, stop_when=stop_when_converged, compile=args.compile,
                         settings={"eval_interval": 10_000, "eval_episodes": 10,
                                   "checkpoint_interval": 10_000, "policy_snapshots": True})
        remove_zoo_resume_point(run.path)
        print(f"zoo run: {run.path}")
    elif args.action == "snapshot":
        from .data.zoo import snapshot_zoo_run
        print(f"zoo resume point (no replay buffer): {snapshot_zoo_run(args.run)}")
    else:
        from .data.zoo import export_zoo
        print(f"zoo exported: {export_zoo(args.run, args.env)}")
        if args.env == "antdir":  # the AntMaze datasets' behaviour policy: how often it solves the maze
            from .data.datasets import record_navigation_success
            print(f"navigation success (AntMaze umaze, planner-steered): {record_navigation_success()}")


COMMANDS = {"offline": _offline, "online": _online, "actor-only": _actor_only, "probe": _probe, "reproduce": _reproduce,
            "plan": _plan,
            "export-runs": _export_runs, "claims": _claims, "cost": _cost, "bench": _bench, "datasets": _datasets,
            "zoo": _zoo}  # a command's name -> what it does (returns the exit status, None for 0)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from .runs import RunLockedError
    from .train.loop import NonFiniteLossError

    try:
        return COMMANDS[args.command](args) or 0
    except NonFiniteLossError as e:
        out = getattr(args, "out", None)
        print(f"acalib: training stopped: {e}; the last good checkpoint is {out}/checkpoints/last.pt "
              f"(if one was written)", file=sys.stderr)
        return 3
    except (ValueError, LookupError, FileNotFoundError, FileExistsError, NotADirectoryError, RunLockedError,
            ModuleNotFoundError) as e:
        print(f"acalib: error: {e}", file=sys.stderr)
        return 2
    except OSError as e:  # a read-only or full disk: the last good checkpoint is kept (atomic writes)
        out = getattr(args, "out", None)
        kept = f"; the last good checkpoint stays in {out}/checkpoints" if out else ""
        print(f"acalib: error: cannot write {e.filename or 'a file'}: {e.strerror or e}{kept}", file=sys.stderr)
        return 4


if __name__ == "__main__":
    sys.exit(main())
