import dataclasses

import pandas as pd

from acalib import profiles
from acalib.reproduce import reproduce


def test_reproduce_pipeline_report_and_cache(minari_root, tmp_path, monkeypatch):
    small = profiles.Profile("tiny", ("hopper",), ("random",), (0, 1), 40, 40, 20, 1, 3000, 40)
    monkeypatch.setitem(profiles.PROFILES, "tiny", small)
    index = reproduce("tiny", root=tmp_path, progress=False)
    assert index == tmp_path / "reports" / "tiny" / "index.html"
    html = index.read_text()
    assert "../../figures/pipeline_hopper-random_tiny.png" in html and "(paper)" in html
    for f in ("figures/pipeline_hopper-random_tiny.png", "figures/pipeline_hopper-random_tiny.pdf",
              "results/tables/pipeline_tiny.csv", "results/tables/pipeline_tiny.md"):
        assert (tmp_path / f).stat().st_size > 0, f
    table = pd.read_csv(tmp_path / "results/tables/pipeline_tiny.csv")
    assert table.loc[0, "SAC→ACA (paper)"] == "81.85 (+73.92)"  # labelled, from acalib.paper
    assert "profile `tiny`: 40 offline steps" in (tmp_path / "results/tables/pipeline_tiny.md").read_text()
    runs = sorted(p.name for p in (tmp_path / "runs/tiny/hopper-random").iterdir())
    reproduce("tiny", root=tmp_path, progress=False)  # cached: no new run directories
    assert sorted(p.name for p in (tmp_path / "runs/tiny/hopper-random").iterdir()) == runs
    monkeypatch.setitem(profiles.PROFILES, "tiny", dataclasses.replace(small, offline_steps=60))
    reproduce("tiny", root=tmp_path, progress=False)  # a changed profile trains new runs beside the old
    assert len(list((tmp_path / "runs/tiny/hopper-random").iterdir())) == 6
