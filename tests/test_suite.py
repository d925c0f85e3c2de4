"""The notebook suite: every registered notebook executes at the tiny profile and writes what it
declares; the report's figures load in a browser; a failing notebook is reported by name while the
others run; the paper's numbers in acalib.paper match the cleaned tables."""
import html
import json
import re
import shutil
import subprocess
import time
from pathlib import Path

import pandas as pd
import pytest

from acalib import cli, paper, suite
from acalib.tables import ScoreTable

REPO = Path(__file__).resolve().parents[1]
TABLES_MD = REPO.parent / "shared" / "paper" / "tables.md"


@pytest.fixture(scope="session")
def tiny_suite():
    """Every notebook of the registry at the tiny profile, once per session: its runs planned and trained on
    a local Ray first (`acalib reproduce --executor ray`; cached in runs/tiny), then the notebooks executed."""
    start = time.time()
    result = suite.reproduce("tiny", root=REPO, progress=False, executor="ray")
    return start, result


def test_every_notebook_executes_at_tiny_and_writes_its_artifacts(tiny_suite):
    start, result = tiny_suite
    assert [r.name for r in result.results] == [nb.name for nb in suite.NOTEBOOKS]
    assert result.ok, "\n".join(f"{r.name}: {r.error}" for r in result.failed)
    for nb in suite.NOTEBOOKS:
        paths = suite.artifact_paths(nb, REPO / "figures" / "tiny", REPO / "results" / "tables" / "tiny")
        assert paths, f"{nb.name} declares no artifact"
        for p in paths:
            assert p.is_file() and p.stat().st_size > 0, p
            assert p.stat().st_mtime >= start, f"{p} was not rewritten by this execution"
        for ext in (".ipynb", ".html"):
            assert (REPO / "reports" / "tiny" / f"{nb.name}{ext}").stat().st_size > 0
    page = result.index.read_text()
    for nb in suite.NOTEBOOKS:
        assert f'href="{nb.name}.html"' in page
        for stem in nb.figures:
            assert f"../../figures/tiny/{stem}.png" in page
    table = pd.read_csv(REPO / "results" / "tables" / "tiny" / "table2_main.csv")
    assert table.loc[0, "SAC→ACA (paper)"] == "81.85 (+73.92)"  # from acalib.paper, labelled
    assert "profile `tiny`" in (REPO / "results" / "tables" / "tiny" / "table2_main.md").read_text()


PROBE = """<script>
window.addEventListener('load', () => {
  const widths = [...document.images].map(img => [img.getAttribute('src'), img.naturalWidth]);
  const out = document.createElement('pre');
  out.id = 'image-probe';
  out.textContent = JSON.stringify(widths);
  document.body.appendChild(out);
});
</script>"""


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def test_report_images_load_in_headless_chromium(tiny_suite, tmp_path):
    browser = chromium()
    if browser is None:
        pytest.skip("no chromium: `make test` installs it (apt-get install chromium)")
    index = tiny_suite[1].index.resolve()
    flags = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
             f"--user-data-dir={tmp_path / 'profile'}"]
    probe = index.parent / "_image_probe.html"  # beside index.html: the same relative image paths
    probe.write_text(index.read_text().replace("</body>", PROBE + "</body>"))
    try:
        dom = subprocess.run([*flags, "--virtual-time-budget=20000", "--dump-dom", probe.as_uri()],
                             capture_output=True, text=True, timeout=180).stdout
    finally:
        probe.unlink()
    found = re.search(r'<pre id="image-probe">(.*?)</pre>', dom, re.S)
    assert found, f"the probe script did not run; DOM tail: {dom[-500:]}"
    widths = dict(json.loads(html.unescape(found.group(1))))
    declared = [stem for nb in suite.NOTEBOOKS for stem in nb.figures]
    assert len(widths) >= len(declared)
    assert all(w > 0 for w in widths.values()), f"images that did not load: {widths}"
    shot = index.parent / "screenshot.png"  # kept as a test artifact
    shot.unlink(missing_ok=True)
    subprocess.run([*flags, "--window-size=1280,4000", f"--screenshot={shot}", index.as_uri()],
                   capture_output=True, timeout=180)
    assert shot.stat().st_size > 0


NOTEBOOK = """# %% [markdown]
# # A throwaway notebook
# %% tags=["parameters"]
profile = "smoke"
root = None
device = "cpu"
seeds = None
recompute = False
figures_dir = None
tables_dir = None
# %%
from pathlib import Path
"""


def test_a_failing_notebook_is_reported_by_name_and_the_others_still_run(tmp_path, monkeypatch, capsys):
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "bad.py").write_text(NOTEBOOK + "x = 1 / 0\n")
    (tmp_path / "notebooks" / "lazy.py").write_text(NOTEBOOK + "print('writes nothing')\n")
    (tmp_path / "notebooks" / "good.py").write_text(NOTEBOOK + """
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
from acalib.plots import save_figure
fig, ax = plt.subplots()
ax.plot([0, 1], [1, 0])
save_figure(fig, Path(figures_dir) / "good_fig")
(Path(tables_dir)).mkdir(parents=True, exist_ok=True)
(Path(tables_dir) / "good_table.csv").write_text("a,b\\n1,2\\n")
(Path(tables_dir) / "good_table.md").write_text("note line\\n\\n| a | b |\\n|---|---|\\n| 1 | 2 |\\n")
""")
    registry = (suite.Notebook("bad", "bad.py"), suite.Notebook("lazy", "lazy.py", tables=("never",)),
                suite.Notebook("good", "good.py", figures=("good_fig",), tables=("good_table",), covers=("fig99",)))
    monkeypatch.setattr(suite, "NOTEBOOKS", registry)
    monkeypatch.chdir(tmp_path)  # not a checkout: the suite's root is the working directory
    assert cli.main(["reproduce", "--profile", "tiny", "--jobs", "2", "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert "notebook bad failed" in err and "ZeroDivisionError" in err
    assert "notebook lazy failed" in err and "never.csv was not written" in err
    assert "notebook good failed" not in err
    summary = {r["name"]: r for r in json.loads((tmp_path / "reports/tiny/summary.json").read_text())["results"]}
    assert [n for n, r in summary.items() if r["ok"]] == ["good"]
    assert "cell" in summary["bad"]["error"] and "1 / 0" in summary["bad"]["error"]
    assert (tmp_path / "figures/tiny/good_fig.png").stat().st_size > 0
    page = (tmp_path / "reports/tiny/index.html").read_text()
    assert page.count("FAILED") == 2 and "ZeroDivisionError" in page
    assert '<img src="../../figures/tiny/good_fig.png"' in page and "<td>1</td>" in page
    assert (tmp_path / "reports/tiny/bad.html").is_file()  # the failing notebook's page shows its error
    # --only by name or covered artifact; re-running one notebook keeps the others in the index
    result = suite.reproduce("tiny", only="fig99", root=tmp_path, progress=False, registry=registry)
    assert [r.name for r in result.results] == ["good"] and result.ok
    assert "bad" in result.index.read_text()
    with pytest.raises(ValueError, match="unknown notebook"):
        suite.select("fig42", registry)


def test_stale_artifacts_do_not_count(tmp_path):
    old = tmp_path / "old.png"
    old.write_bytes(b"x")
    assert "older than this execution" in suite.check_artifacts([old], time.time() + 10)[0]
    (tmp_path / "empty.md").write_text("")
    assert "is empty" in suite.check_artifacts([tmp_path / "empty.md"], 0)[0]


def test_study_caches_runs_and_keys_them_on_the_dataset(minari_root, tmp_path, monkeypatch):
    from acalib import profiles
    from acalib.data import minari_io
    from acalib.study import Study

    small = profiles.Profile("tiny", ("hopper",), ("random",), (0, 1), 40, 40, 20, 1, 3000, 40)
    monkeypatch.setitem(profiles.PROFILES, "tiny", small)
    study = Study("tiny", root=tmp_path, progress=False)
    first = study.offline("sac_ml", "hopper-random")
    assert study.offline("sac_ml", "hopper-random").path == first.path  # cached: nothing trained
    assert study.online("aca", first).path == study.online("aca", first).path
    meta_path = minari_io.dataset_path("acalib/hopper/random-3000-v0") / "data" / "metadata.json"
    sums_path = meta_path.parent.parent / minari_io.CHECKSUMS
    original, sums = meta_path.read_text(), sums_path.read_text()
    try:  # the same dataset name generated differently (another generator's description, its own checksums)
        meta = json.loads(original)
        meta["description"] += " (generated differently)"
        meta_path.write_text(json.dumps(meta))
        sums_path.write_text(json.dumps(minari_io.data_checksums(meta_path.parent.parent)))
        assert Study("tiny", root=tmp_path, progress=False).offline("sac_ml", "hopper-random").path != first.path
    finally:
        meta_path.write_text(original)
        sums_path.write_text(sums)


def test_study_keys_online_runs_on_resolved_hyperparameters_and_recomputes_once(minari_root, tmp_path,
                                                                                  monkeypatch):
    from acalib import profiles
    from acalib.algos import aca as aca_module
    from acalib.study import Study

    small = profiles.Profile("tiny", ("hopper",), ("random",), (0,), 40, 40, 20, 1, 3000, 40)
    monkeypatch.setitem(profiles.PROFILES, "tiny", small)
    study = Study("tiny", root=tmp_path, progress=False)
    off = study.offline("sac_ml", "hopper-random")
    aca = study.online("aca", off)
    default_beta = aca_module.ACA_GROUPS["random"].beta
    assert study.online("aca", off, beta=default_beta).path == aca.path  # an override equal to the default
    groups = dict(aca_module.ACA_GROUPS)
    groups["random"] = aca_module.replace(groups["random"], beta=default_beta + 1)
    monkeypatch.setattr(aca_module, "ACA_GROUPS", groups)  # a changed default: a new run, not a clash
    assert study.online("aca", off).path != aca.path
    monkeypatch.undo()
    monkeypatch.setitem(profiles.PROFILES, "tiny", small)

    made, cut = (aca.path / "config.json").stat().st_mtime, time.time()
    again = Study("tiny", root=tmp_path, progress=False, recompute=cut)  # runs made before the cut-off: afresh
    assert again.online("aca", off).path == aca.path and (aca.path / "config.json").stat().st_mtime > made
    remade = (aca.path / "config.json").stat().st_mtime
    other = Study("tiny", root=tmp_path, progress=False, recompute=cut)  # another notebook, same cut-off
    other.online("aca", off)
    assert (aca.path / "config.json").stat().st_mtime == remade  # shared, not retrained
    with pytest.raises(ValueError, match="recompute must be True, False or a Unix time, got 1"):
        Study("tiny", root=tmp_path, recompute=1)
    with pytest.raises(ValueError, match="'br' starts from an offline run: pass --init"):
        study.online("br", dataset="hopper-random")


def test_score_table_cells_delta_and_total():
    t = ScoreTable()
    t.add("a", "ours", pd.Series([1.0, 3.0], index=[0, 1]), offline=pd.Series([0.0, 1.0], index=[0, 1]))
    t.add_paper("a", "ours (paper)", 81.85, 73.92)
    t.add("b", "ours", pd.Series([2.0, 2.0], index=[0, 1]))
    t.add_missing("b", "ours (paper)")
    frame = t.frame()
    assert frame["ours"].tolist() == ["2.00 ± 1.00 (+1.50)", "2.00 ± 0.00", "4.00"]
    assert frame["ours (paper)"].tolist() == ["81.85 (+73.92)", "—", "—"]


# -- the paper's numbers: acalib.paper against the cleaned tables ----------------------------------------

def md_rows(section: str) -> list[list[str]]:
    """The data rows of the Markdown table under the heading starting with ``section``."""
    text = TABLES_MD.read_text()
    body = text[text.index(section):]
    body = body[:body.find("\n## ", 1)] if "\n## " in body[1:] else body
    rows = [ln.strip().strip("|").split("|") for ln in body.splitlines() if ln.startswith("|")]
    return [[c.strip().replace("−", "-") for c in r] for r in rows[2:]]


def numbers(cell: str) -> list[float]:
    return [float(x) for x in re.findall(r"-?\d+(?:\.\d+)?", cell)]


@pytest.fixture
def tables_md():
    if not TABLES_MD.is_file():
        pytest.skip(f"{TABLES_MD} is not here (the paper's cleaned tables live outside the repository)")


def test_paper_table2_matches_tables_md(tables_md):
    keys = list(paper.TABLE2_METHODS)  # the column order of Table 2
    checked = 0
    for level, env, *cells in md_rows("## Table 2"):
        if level == "total":
            assert [numbers(c) for c in cells] == [list(paper.TABLE2_TOTALS[k]) for k in keys]
            continue
        for key, cell in zip(keys, cells):
            assert numbers(cell) == list(paper.TABLE2[(env, level)][key]), (env, level, key)
            checked += 1
    assert checked == 75


def test_paper_table6_matches_tables_md(tables_md):
    checked = 0
    for level, env, td3, sac in md_rows("## Table 6"):
        if level == "total":
            assert numbers(td3) == [paper.TABLE6_TOTALS["td3_bc"]] and numbers(sac) == [paper.TABLE6_TOTALS["sac_ml"]]
            continue
        assert numbers(td3) == list(paper.TABLE6[(env, level)]["td3_bc"])
        assert numbers(sac) == list(paper.TABLE6[(env, level)]["sac_ml"])
        checked += 1
    assert checked == 15


def test_paper_table8_matches_tables_md(tables_md):
    checked = 0
    for level, env, *cells in md_rows("## Table 3 / Table 8"):
        if "total" in level or not cells[0]:
            continue
        key = (env, level) if env else ("antmaze", level.removeprefix("antmaze-"))
        for i, method in enumerate(("iql", "odt", "aca")):
            off, on, delta = (numbers(c) for c in cells[3 * i:3 * i + 3])
            assert (off, on, delta[:1]) == (list(paper.TABLE8[key][method][0]), list(paper.TABLE8[key][method][1]),
                                            [paper.TABLE8[key][method][2]]), (key, method)
        checked += 1
    assert checked == 8


def test_a_profile_leaves_notebooks_out_by_name_and_the_report_says_why(tmp_path):
    registry = (suite.Notebook("table3", "table3_long_online.py", tables=("table3_long_online",)),)
    result = suite.reproduce("claims", root=tmp_path, registry=registry, progress=False)
    (r,) = result.results
    assert r.ok and r.left_out and "10 seeds at 200k online steps" in r.left_out and r.html is None
    page = result.index.read_text()
    assert "1 left out at this profile" in page and "Not run at profile <code>claims</code>: Table 3 needs" in page
    assert not (tmp_path / "reports" / "claims" / "table3.ipynb").exists()  # not executed


def test_after_the_tiny_plan_ran_on_ray_the_notebooks_trained_nothing(tiny_suite, tmp_path):
    """The plan is exact: every run a tiny notebook used was planned (and trained on Ray, or cached), none was
    trained by a notebook; the offline runs Ray trained equal, bit for bit, those trained here in-process."""
    from acalib.plan import plan_notebooks
    from acalib.study import Study

    _, result = tiny_suite
    assert result.runs is not None and result.runs.ok, (result.runs.failed, result.runs.skipped)
    trained_by_notebooks = {r.name: r.runs["trained"] for r in result.results if r.runs.get("trained")}
    assert trained_by_notebooks == {}
    plan = plan_notebooks("tiny", root=REPO)
    assert [e.name for e in plan.entries.values() if not e.finished] == []
    used = {name for r in result.results for names in r.runs.values() for name in names}
    assert used == set(plan.entries)
    local = Study("tiny", root=REPO, runs_root=tmp_path, progress=False)
    for entry in plan.entries.values():
        if entry.stage == "offline" and entry.method in ("sac_ml", "awac", "td3_bc"):
            here = pd.read_csv(local.run_planned(entry) / "metrics.csv")
            on_ray = pd.read_csv(REPO / "runs" / "tiny" / entry.name / "metrics.csv")
            pd.testing.assert_frame_equal(here.drop(columns=["time_s", "eval_s"]),
                                          on_ray.drop(columns=["time_s", "eval_s"]))


def test_the_report_says_which_runs_a_notebook_trained_and_which_it_loaded(tiny_suite):
    _, result = tiny_suite
    by_name = {r.name: r for r in result.results}
    used = {source for r in result.results for source in r.runs}
    assert used <= {"trained", "cached", "repository"} and by_name["fig01"].runs
    page = result.index.read_text()
    assert "trained by this execution" in page or "loaded from an earlier execution" in page


def test_acalib_claims_judges_every_claim_on_the_tiny_runs(tiny_suite, tmp_path, capsys):
    assert cli.main(["claims", "--profile", "tiny", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    frame = pd.read_csv(tmp_path / "claims.csv")
    assert set(frame["claim"]) == {"C1", "C2", "C3", "C4", "C5", "C6"}
    assert set(frame["verdict"]) <= {"holds", "does not hold", "inconclusive"}
    assert (frame["low"] <= frame["mean"]).all() and (frame["mean"] <= frame["high"]).all()
    assert len(frame[frame["claim"] == "C2"]) == 3  # SAC+ML, CQL and AWAC critics
    assert "profile `tiny`" in (tmp_path / "claims.md").read_text() and "C6" in out
    # the notebook's table is the same judgement of the same runs
    notebook = pd.read_csv(REPO / "results" / "tables" / "tiny" / "claims.csv")
    pd.testing.assert_frame_equal(notebook, frame)


def test_an_interim_judgement_leaves_out_the_tests_of_unfinished_runs_and_names_them(tiny_suite, tmp_path, capsys,
                                                                                     monkeypatch):
    import shutil
    from acalib.claims import claim_runs
    from acalib.study import Study

    shutil.copytree(REPO / "runs" / "tiny", tmp_path / "runs" / "tiny")
    runs = claim_runs(Study("tiny", root=REPO, runs_root=tmp_path / "runs", train=False, progress=False))
    sac = runs[("online", "sac", "hopper-random")]
    shutil.rmtree(sac.path)  # SAC→SAC has not finished: C1 and C4's paired test cannot be judged
    monkeypatch.setenv("ACALIB_RUNS_DIR", str(tmp_path / "runs"))
    assert cli.main(["claims", "--profile", "tiny", "--out", str(tmp_path)]) == 2  # a full judgement refuses
    assert "has no finished online run" in capsys.readouterr().err
    assert cli.main(["claims", "--profile", "tiny", "--interim", "--out", str(tmp_path)]) == 0
    frame = pd.read_csv(tmp_path / "claims_interim.csv")
    assert "C1" not in set(frame["claim"]) and set(frame["claim"]) == {"C2", "C3", "C4", "C5", "C6"}
    assert "paired change, ACA − SAC→SAC" not in set(frame["statistic"])
    assert "change (SAC→ACA)" in set(frame["statistic"])
    note = (tmp_path / "claims_interim.md").read_text()
    assert f"**Interim**: {len(runs) - 1} of the {len(runs)} claim runs have finished" in note
    assert "Not yet finished: online sac hopper-random." in note
    assert not (tmp_path / "claims.csv").exists()


def test_acalib_claims_without_trained_runs_says_what_to_run(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("ACALIB_RUNS_DIR", str(tmp_path / "nothing"))
    assert cli.main(["claims", "--profile", "smoke", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "profile 'smoke' has no finished offline run hopper-medium/sac_ml-" in err and "acalib reproduce --profile smoke" in err
    assert not (tmp_path / "claims.csv").exists()
    assert cli.main(["claims", "--profile", "smoke", "--interim", "--out", str(tmp_path)]) == 2
    assert "no claim of profile 'smoke' can be judged yet: none of its runs has finished" in capsys.readouterr().err
    assert not (tmp_path / "claims_interim.csv").exists()
