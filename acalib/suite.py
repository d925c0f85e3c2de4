"""The notebook suite: one notebook per paper artifact, executed into a report.

    reproduce("smoke")                       # every notebook at the smoke profile
    reproduce("tiny", only="fig05,table6")   # some of them (by name or by the artifacts they cover)

For each notebook of ``NOTEBOOKS``: the jupytext source ``notebooks/<file>.py`` is converted to a
notebook, executed by papermill (parameters: profile, root, device, seeds, recompute,
figures_dir, tables_dir) into ``reports/<profile>/<name>.ipynb`` and rendered to
``reports/<profile>/<name>.html`` by nbconvert; then every artifact it declares must exist, be
non-empty and be newer than the start of its execution. ``reports/<profile>/index.html`` links
every notebook and shows every figure and table. A failing notebook is reported by name with
its error; the others still run.
"""
from __future__ import annotations

import html
import json
import os
import re
import sys
import tempfile
import time
import traceback
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime
from multiprocessing import get_context
from pathlib import Path

from . import __version__
from .profiles import get_profile

KERNEL_NAME = "acalib"
RECOMPUTE_CHOICES = ("none", "online", "all")  # acalib reproduce --recompute / make reproduce RECOMPUTE=
EXECUTORS = ("local", "ray")  # acalib reproduce --executor


@dataclass(frozen=True)
class Notebook:
    """One notebook of the suite and the artifacts it must write."""
    name: str  # report file stem and ``--only`` key, e.g. "fig05"
    source: str  # jupytext percent-format file under notebooks/
    figures: tuple[str, ...] = ()  # stems: <figures_dir>/<stem>.png and .pdf
    tables: tuple[str, ...] = ()  # stems: <tables_dir>/<stem>.csv and .md
    covers: tuple[str, ...] = ()  # other paper artifacts it makes (also ``--only`` keys), e.g. ("table2",)


# The suite, in report order. Add a notebook here with the artifacts it writes.
NOTEBOOKS: tuple[Notebook, ...] = (
    Notebook("claims", "claims.py", figures=("claims",), tables=("claims",)),
    Notebook("fig01", "fig01_drop_at_switch.py", figures=("fig01_drop_at_switch",)),
    Notebook("fig02", "fig02_actor_only_cql_awac.py", figures=("fig02_actor_only_cql_awac",)),
    Notebook("fig03", "fig03_actor_only_aligned.py", figures=("fig03_actor_only_aligned",),
             tables=("fig03_actor_only_scores",), covers=("fig10", "fig11")),
    Notebook("fig04", "fig04_q_probes.py", figures=("fig04_q_probe_states", "fig21_overestimated_fraction"),
             tables=("fig21_overestimated_fraction",), covers=("fig20", "fig21")),
    Notebook("fig05", "fig05_table2_main.py", figures=("fig05_main_curves",), tables=("table2_main",),
             covers=("table2",)),
    Notebook("fig06", "fig06_18_initialisation.py", figures=("fig06_initialisation",),
             tables=("fig06_initialisation",), covers=("fig18",)),
    Notebook("fig07", "fig07_16_ablations.py", figures=("fig07_ablations",), tables=("fig07_ablations",),
             covers=("fig16",)),
    Notebook("fig08", "fig08_17_delayed_pi.py", figures=("fig08_delayed_pi",), tables=("fig08_delayed_pi",),
             covers=("fig17",)),
    Notebook("fig09", "fig09_state_norms.py", figures=("fig09_state_norms",)),
    Notebook("table3", "table3_long_online.py", figures=("fig12_antmaze",),
             tables=("table3_long_online", "table3_antmaze"), covers=("table8", "fig12")),
    Notebook("table4", "table4_fig13_no_offline_data.py", figures=("fig13_no_offline_data",),
             tables=("table4_no_offline_data",), covers=("fig13",)),
    Notebook("table6", "table6_offline.py", tables=("table6_offline",)),
    Notebook("table7", "table7_awac_500k.py", figures=("table7_awac_curves",), tables=("table7_awac_500k",)),
    Notebook("fig14", "fig14_15_burn_in.py", figures=("fig14_15_burn_in",), tables=("fig14_15_burn_in",),
             covers=("fig15",)),
    Notebook("fig19", "fig19_beta.py", figures=("fig19_beta",), tables=("fig19_beta",)),
)


@dataclass
class NotebookResult:
    name: str
    ok: bool
    seconds: float
    error: str | None = None  # "<cell> <Exception>: <message>" or a missing artifact
    notebook: str | None = None  # executed .ipynb
    html: str | None = None
    figures: list[str] = field(default_factory=list)  # PNG paths that passed the check
    tables: list[str] = field(default_factory=list)  # Markdown paths that passed the check
    runs: dict[str, list[str]] = field(default_factory=dict)  # source -> run names (trained, cached, repository)
    left_out: str | None = None  # why the profile does not run this notebook (not executed)


@dataclass
class SuiteResult:
    profile: str
    index: Path
    results: list[NotebookResult]
    runs: object | None = None  # executor ray: what training the plan did (``executors.PlanOutcome``)

    @property
    def failed(self) -> list[NotebookResult]:
        return [r for r in self.results if not r.ok]

    @property
    def ok(self) -> bool:
        return not self.failed


def select(only: str | list[str] | None, registry: tuple[Notebook, ...] | None = None) -> list[Notebook]:
    """Notebooks named (or covering an artifact named) in ``only`` ("fig05,table2"); all when None."""
    registry = NOTEBOOKS if registry is None else registry
    if not only:
        return list(registry)
    keys = [k.strip() for k in (only.split(",") if isinstance(only, str) else only) if k.strip()]
    by_key = {}
    for nb in registry:
        for key in (nb.name, Path(nb.source).stem, *nb.covers):
            by_key.setdefault(key, nb)
    unknown = [k for k in keys if k not in by_key]
    if unknown:
        raise ValueError(f"unknown notebook(s) {unknown}; valid: {sorted(by_key)}")
    chosen = {by_key[k].name for k in keys}
    return [nb for nb in registry if nb.name in chosen]


def artifact_paths(nb: Notebook, figures_dir: Path, tables_dir: Path) -> list[Path]:
    return ([figures_dir / f"{s}{ext}" for s in nb.figures for ext in (".png", ".pdf")]
            + [tables_dir / f"{s}{ext}" for s in nb.tables for ext in (".csv", ".md")])


def check_artifacts(paths: list[Path], since: float) -> list[str]:
    """Problems with the declared artifacts: missing, empty, or not rewritten since ``since``."""
    problems = []
    for p in paths:
        if not p.is_file():
            problems.append(f"{p} was not written")
        elif p.stat().st_size == 0:
            problems.append(f"{p} is empty")
        elif p.stat().st_mtime < since:
            problems.append(f"{p} is older than this execution (stale, from an earlier run)")
    return problems


def ensure_kernel() -> str:
    """The Jupyter kernel notebooks run in: ``acalib``, this interpreter (the .venv's python),
    registered under ``sys.prefix`` when missing or pointing at another interpreter."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        argv0 = KernelSpecManager().get_kernel_spec(KERNEL_NAME).argv[0]
    except NoSuchKernel:
        argv0 = None
    if argv0 is None or Path(argv0).parent != Path(sys.executable).parent:
        from ipykernel.kernelspec import install
        install(kernel_name=KERNEL_NAME, display_name=f"acalib ({Path(sys.prefix).name})", prefix=sys.prefix)
        argv0 = KernelSpecManager().get_kernel_spec(KERNEL_NAME).argv[0]
        if Path(argv0).parent != Path(sys.executable).parent:  # shadowed by a user-level kernelspec
            raise RuntimeError(f"the Jupyter kernel {KERNEL_NAME!r} runs {argv0}, not {sys.executable}; "
                               f"remove it (`jupyter kernelspec remove {KERNEL_NAME}`) and try again")
    return KERNEL_NAME


def execution_error(exc: BaseException) -> str:
    """One line for the report: the failing cell and the notebook's exception."""
    from papermill.exceptions import PapermillExecutionError

    if isinstance(exc, PapermillExecutionError):
        # IPython marks the failing line of the cell "----> 12 x = f()": the first such line is in the cell
        lines = re.sub(r"\x1b\[[0-9;]*m", "", "\n".join(exc.traceback)).splitlines()
        where = next((m.groups() for m in map(re.compile(r"^---->\s*(\d+)\s(.*)$").match, lines) if m), None)
        at = f", line {where[0]} (`{where[1].strip()[:100]}`)" if where else ""
        return f"cell {exc.exec_count}{at}: {exc.ename}: {exc.evalue}"
    return f"{type(exc).__name__}: {exc}"


def read_provenance(path: Path) -> dict[str, list[str]]:
    """source ("trained", "cached", "repository") -> the runs a notebook execution used, from the
    file its Study appended to (``study.PROVENANCE_ENV``)."""
    out: dict[str, list[str]] = {}
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return out
    for line in lines:
        try:
            entry = json.loads(line)
        except ValueError:  # a line cut by a killed kernel
            continue
        name = f"{entry['dataset']}/{entry['name']}"
        if name not in out.setdefault(entry["source"], []):
            out[entry["source"]].append(name)
    return out


def run_notebook(nb: Notebook, profile: str, root: Path, device: str = "cpu", seeds: list[int] | None = None,
                 recompute: bool | float = False, kernel: str = KERNEL_NAME,
                 recompute_stages: str = "all") -> NotebookResult:
    """Convert, execute and render one notebook, then check its artifacts and record which runs it
    trained and which it loaded (from the repository or from an earlier execution)."""
    from .study import PROVENANCE_ENV

    import jupytext
    import nbformat
    import papermill

    out_dir = root / "reports" / profile
    out_dir.mkdir(parents=True, exist_ok=True)
    figures_dir, tables_dir = root / "figures" / profile, root / "results" / "tables" / profile
    executed, page = out_dir / f"{nb.name}.ipynb", out_dir / f"{nb.name}.html"
    for stale in (executed, page):
        stale.unlink(missing_ok=True)
    provenance = out_dir / f"{nb.name}.runs.jsonl"
    provenance.unlink(missing_ok=True)
    start = time.time()
    error = None
    try:
        source = jupytext.read(root / "notebooks" / nb.source)
        source.metadata["kernelspec"] = {"name": kernel, "display_name": "acalib", "language": "python"}
        with tempfile.TemporaryDirectory() as tmp:
            converted = Path(tmp) / f"{nb.name}.ipynb"
            nbformat.write(source, converted)
            with environment({PROVENANCE_ENV: str(provenance)}):
                papermill.execute_notebook(
                    converted, executed, kernel_name=kernel, cwd=root, progress_bar=False,
                    extra_arguments=["--IPKernelApp.log_level=ERROR"],  # not its TCP-without-encryption warning
                    parameters={"profile": profile, "root": str(root), "device": device, "seeds": seeds,
                                "recompute": recompute, "recompute_stages": recompute_stages,
                                "figures_dir": str(figures_dir), "tables_dir": str(tables_dir)})
    except Exception as exc:  # noqa: BLE001 -- reported by name; the other notebooks still run
        error = execution_error(exc)
    if executed.is_file():
        try:
            render_html(executed, page)
        except Exception as exc:  # noqa: BLE001
            error = error or f"rendering {executed.name} to HTML failed: {exc}"
    paths = artifact_paths(nb, figures_dir, tables_dir)
    if error is None:
        problems = check_artifacts(paths, start)
        if problems:
            error = "declared artifacts not written by this execution: " + "; ".join(problems)
    fresh = [p for p in paths if not check_artifacts([p], start)]
    return NotebookResult(nb.name, error is None, time.time() - start, error,
                          str(executed) if executed.is_file() else None, str(page) if page.is_file() else None,
                          [str(p) for p in fresh if p.suffix == ".png"], [str(p) for p in fresh if p.suffix == ".md"],
                          read_provenance(provenance))


def render_html(executed: Path, page: Path) -> None:
    import nbformat
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter().from_notebook_node(nbformat.read(executed, as_version=4))
    page.write_text(body, encoding="utf-8")


@contextmanager
def environment(variables: dict[str, str]):
    """Set environment variables (inherited by kernels and workers started inside), then restore them."""
    saved = {k: os.environ.get(k) for k in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _run_safely(*args, **kwargs) -> NotebookResult:
    """``run_notebook`` in a worker process: any failure becomes a failed result."""
    try:
        return run_notebook(*args, **kwargs)
    except Exception:  # noqa: BLE001
        return NotebookResult(args[0].name, False, 0.0, traceback.format_exc(limit=3))


def reproduce(profile: str, only: str | list[str] | None = None, jobs: int = 1, root: str | Path | None = None,
              device: str = "cpu", seeds: list[int] | None = None, recompute: bool | float | str = False,
              progress: bool = True, registry: tuple[Notebook, ...] | None = None,
              compile: str = "auto", executor: str = "local", address: str | None = None,
              runs_root: str | Path | None = None, gpus_per_run: float | None = None) -> SuiteResult:
    """Execute the suite's notebooks at ``profile`` (``jobs`` at a time) and write the report.
    ``recompute``: False, True / ``"all"`` (retrain every run), ``"online"`` (retrain the runs that start
    from an offline run, keeping the offline ones), or a Unix time. Notebooks the profile leaves out
    are not executed; the report says why. ``registry``: the notebooks to choose from (default: ``NOTEBOOKS``).
    ``compile``: auto / on / off, the runs' compiled updates (``$ACALIB_COMPILE`` in the kernels).
    ``executor``: ``local`` (the notebooks train what they miss, as they execute) or ``ray`` (the notebooks'
    runs are planned (``acalib.plan``) and trained as Ray tasks first, on a local Ray or the cluster at
    ``address``, ``gpus_per_run`` of a GPU each on CUDA; then the notebooks execute from the finished runs,
    and a notebook whose run failed is reported failed with that run's error). ``runs_root``: where runs are
    trained (default ``$ACALIB_RUNS_DIR``, else ``<root>/runs``; on a cluster, shared storage)."""
    from tqdm.auto import tqdm

    from .study import COMPILE_CHOICES, COMPILE_ENV, RUNS_ENV, repo_root

    if compile not in COMPILE_CHOICES:
        raise ValueError(f"unknown compile {compile!r}; valid: {list(COMPILE_CHOICES)}")
    if executor not in EXECUTORS:
        raise ValueError(f"unknown executor {executor!r}; valid: {list(EXECUTORS)}")
    if address and executor != "ray":
        raise ValueError(f"--address {address} names a Ray cluster: pass it with --executor ray")
    registry = NOTEBOOKS if registry is None else registry
    spec = get_profile(profile)
    profile = spec.name  # validates the name; 'lite/100' -> 'lite-div100' (folder names)
    stages = "online" if recompute == "online" else "all"
    if isinstance(recompute, str):
        if recompute not in RECOMPUTE_CHOICES:
            raise ValueError(f"unknown recompute {recompute!r}; valid: {list(RECOMPUTE_CHOICES)}")
        recompute = recompute != "none"
    root = repo_root() if root is None else Path(root).resolve()
    selected = select(only, registry)
    left_out = {nb.name: reason for nb in selected
                if (reason := spec.left_out_reason(nb.name)) is not None}
    chosen = [nb for nb in selected if nb.name not in left_out]
    kernel = ensure_kernel()
    # one cut-off for every notebook: a run retrained by one of them is then shared by the others
    args = dict(profile=profile, root=root, device=device, seeds=seeds, kernel=kernel, recompute_stages=stages,
                recompute=time.time() if recompute is True else recompute)
    # for the kernels: progress bars are saved into the notebooks' outputs, so a few lines of them;
    # parallel kernels share the cores instead of each taking them all
    kernel_env = {"TQDM_MININTERVAL": os.environ.get("TQDM_MININTERVAL", "30"), COMPILE_ENV: compile}
    if runs_root is not None:
        kernel_env[RUNS_ENV] = str(Path(runs_root).resolve())
    blocked: dict[str, str] = {}  # notebook -> the failed run it needs (executor ray)
    outcome = None
    if executor == "ray" and chosen:
        with environment({k: v for k, v in kernel_env.items() if k == RUNS_ENV}):
            outcome, blocked = _train_on_ray(chosen, registry, args, address, gpus_per_run, compile, progress)
    if jobs > 1:
        kernel_env["OMP_NUM_THREADS"] = os.environ.get("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // jobs)))
    results = {name: NotebookResult(name, False, 0.0, reason) for name, reason in blocked.items()}
    chosen = [nb for nb in chosen if nb.name not in blocked]
    bar = tqdm(total=len(chosen), desc=f"notebooks ({profile})", unit="nb", disable=not progress)
    with environment(kernel_env):
        if jobs <= 1:
            for nb in chosen:
                bar.set_postfix_str(nb.name)
                results[nb.name] = _run_safely(nb, **args)
                bar.update()
        else:
            with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn")) as pool:
                futures = {pool.submit(_run_safely, nb, **args): nb for nb in chosen}
                for fut in as_completed(futures):
                    nb = futures[fut]
                    try:
                        results[nb.name] = fut.result()
                    except Exception as exc:  # noqa: BLE001 -- e.g. the worker process died
                        results[nb.name] = NotebookResult(nb.name, False, 0.0, f"{type(exc).__name__}: {exc}")
                    bar.set_postfix_str(nb.name)
                    bar.update()
    bar.close()
    results |= {name: NotebookResult(name, True, 0.0, left_out=reason) for name, reason in left_out.items()}
    ordered = [results[nb.name] for nb in selected]
    index = write_index(root, profile, [nb for nb in registry], ordered)
    return SuiteResult(profile, index, ordered, outcome)


def _train_on_ray(chosen: list[Notebook], registry, args: dict, address: str | None, gpus_per_run: float | None,
                  compile: str, progress: bool):
    """Plan the chosen notebooks' runs and train the missing ones on Ray; (the outcome, notebook -> why it
    cannot execute: a run it needs failed)."""
    from .executors import run_plan_on_ray
    from .plan import plan_notebooks
    from .study import COMPILE_CHOICES, Study

    plan = plan_notebooks(args["profile"], [nb.name for nb in chosen], args["root"], args["device"], args["seeds"],
                          args["recompute"], args["recompute_stages"], registry)
    runs_root = Study(args["profile"], args["root"], progress=False).runs_root
    outcome = run_plan_on_ray(plan, runs_root, args["root"], address=address, device=args["device"],
                              gpus_per_run=gpus_per_run, recompute_before=args["recompute"] or None,
                              recompute_stages=args["recompute_stages"], compile=COMPILE_CHOICES[compile],
                              seeds=args["seeds"], progress=progress)
    blocked = {}
    for name, error in {**outcome.failed, **outcome.skipped}.items():
        for nb in plan.entries[name].notebooks:
            blocked.setdefault(nb, f"run {name} failed on Ray: {error}")
    return outcome, blocked


def notebook_title(root: Path, nb: Notebook) -> str:
    """The first line of the notebook's first markdown cell, without '#'."""
    try:
        text = (root / "notebooks" / nb.source).read_text()
    except OSError:
        return nb.name
    for line in text.splitlines():
        stripped = line.lstrip("# ").strip()
        if stripped and not line.startswith("# %%"):
            return stripped
    return nb.name


def table_html(md_path: Path) -> str:
    """A table artifact as HTML: its Markdown (note line and table) rendered, else its CSV."""
    import mistune

    text = md_path.read_text(encoding="utf-8")
    if "|" in text:
        return mistune.create_markdown(plugins=["table"])(text)
    import pandas as pd
    return pd.read_csv(md_path.with_suffix(".csv")).to_html(index=False)


SOURCE_WORDS = {"trained": "trained by this execution", "repository": "loaded from the repository (results/runs)",
                "cached": "loaded from an earlier execution (runs/)"}


def provenance_html(runs: dict[str, list[str]]) -> str:
    """One line per source: how many runs this notebook trained, and how many it loaded from where."""
    items = []
    for source in ("trained", "repository", "cached"):
        names = runs.get(source, [])
        if names:
            listing = ", ".join(html.escape(n) for n in names)
            items.append(f"<li>{len(names)} run{'s' if len(names) > 1 else ''} {SOURCE_WORDS[source]}: "
                         f"<details><summary>which</summary>{listing}</details></li>")
    return f'<ul class="runs">{"".join(items)}</ul>'


def write_index(root: Path, profile: str, registry: list[Notebook], results: list[NotebookResult]) -> Path:
    """``reports/<profile>/index.html``: every notebook's status and link, every figure and table.
    Notebooks not executed this time keep their entry from the previous report."""
    out = root / "reports" / profile
    out.mkdir(parents=True, exist_ok=True)
    summary_path = out / "summary.json"
    previous = {}
    try:
        previous = {r["name"]: NotebookResult(**r) for r in json.loads(summary_path.read_text())["results"]}
    except (OSError, ValueError, KeyError, TypeError):  # none yet, or written by another acalib version
        pass
    current = {**previous, **{r.name: r for r in results}}
    names = [nb.name for nb in registry if nb.name in current]
    names += [n for n in current if n not in names]  # e.g. a throwaway registry in tests
    summary_path.write_text(json.dumps({"profile": profile, "acalib_version": __version__,
                                        "results": [asdict(current[n]) for n in names]}, indent=2))
    by_name = {nb.name: nb for nb in registry}

    def rel(path: str) -> str:
        return html.escape(os.path.relpath(path, out))

    rows, sections = [], []
    for n in names:
        r = current[n]
        nb = by_name.get(n)
        title = notebook_title(root, nb) if nb else n
        status = "left out" if r.left_out else "ok" if r.ok else "FAILED"
        link = f'<a href="{rel(r.html)}">{html.escape(n)}</a>' if r.html and Path(r.html).is_file() else html.escape(n)
        rows.append(f'<tr class="{status.lower().replace(" ", "-")}"><td>{link}</td><td>{html.escape(title)}</td>'
                    f'<td>{status}</td><td>{r.seconds:.1f} s</td></tr>')
        parts = [f'<section id="{html.escape(n)}"><h2>{link}: {html.escape(title)}</h2>']
        if r.left_out:
            parts.append(f'<p class="left-out">Not run at profile <code>{html.escape(profile)}</code>: '
                         f'{html.escape(r.left_out)}.</p>')
        if r.runs:
            parts.append(provenance_html(r.runs))
        if r.error:
            parts.append(f'<pre class="error">{html.escape(r.error)}</pre>')
        for png in r.figures:
            if Path(png).is_file():
                parts.append(f'<figure><img src="{rel(png)}" alt="{html.escape(Path(png).stem)}">'
                             f'<figcaption>{html.escape(Path(png).stem)} '
                             f'(<a href="{rel(str(Path(png).with_suffix(".pdf")))}">PDF</a>)</figcaption></figure>')
        for md in r.tables:
            if Path(md).is_file():
                parts.append(f'<div class="table"><h3>{html.escape(Path(md).stem)} '
                             f'(<a href="{rel(str(Path(md).with_suffix(".csv")))}">CSV</a>, '
                             f'<a href="{rel(md)}">Markdown</a>)</h3>{table_html(Path(md))}</div>')
        sections.append("\n".join(parts) + "</section>")
    failed = sum(not current[n].ok for n in names)
    skipped = sum(bool(current[n].left_out) for n in names)
    page = f"""<!doctype html>
<html><head><meta charset="utf-8"><title>acalib report: {html.escape(profile)}</title>
<style>
body {{ font-family: sans-serif; max-width: 1200px; margin: 2em auto; padding: 0 1em; }}
img {{ max-width: 100%; }} figure {{ margin: 1em 0; }}
table {{ border-collapse: collapse; margin: .5em 0; }} td, th {{ border: 1px solid #ccc; padding: 3px 8px; }}
tr.failed td {{ background: #fdd; }} tr.left-out td {{ color: #777; }} pre.error {{ background: #fee; padding: .5em; white-space: pre-wrap; }}
</style></head><body>
<h1>acalib report, profile <code>{html.escape(profile)}</code></h1>
<p>acalib {html.escape(__version__)}; written {datetime.now().isoformat(timespec="seconds")};
{len(names)} notebooks, {failed} failed, {skipped} left out at this profile. Each notebook's page has its code and outputs; figures are
in <code>figures/{html.escape(profile)}/</code>, tables in <code>results/tables/{html.escape(profile)}/</code>.</p>
<table><tr><th>notebook</th><th>paper artifact</th><th>status</th><th>time</th></tr>
{chr(10).join(rows)}
</table>
{chr(10).join(sections)}
</body></html>
"""
    index = out / "index.html"
    index.write_text(page, encoding="utf-8")
    return index
