"""``acalib reproduce --profile P``: the end-to-end pipeline at a profile, and its report.

For every dataset of the profile: SAC+ML offline (with Z), then online SAC->ACA and SAC->SAC from
the same offline run; one figure per dataset (offline half, online half; mean +- std over seeds),
one table beside the paper's Table 2, and ``reports/<profile>/index.html`` showing them. Runs are
cached under ``runs/<profile>/``: a finished run is reused, an unfinished one resumed.
"""
from __future__ import annotations

import html
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from . import __version__, paper
from .experiment import run_offline, run_online
from .plots import plot_offline_online, save_figure
from .profiles import get_profile
from .runs import run_key


def final_scores(metrics: pd.DataFrame) -> pd.Series:
    """Normalized score at the last evaluation, one value per seed (no best-checkpoint picking)."""
    last = metrics[metrics["step"] == metrics["step"].max()]
    return last.set_index("seed")["normalized_score"]


def fmt(values: pd.Series) -> str:
    return f"{values.mean():.2f} ± {values.std(ddof=0):.2f}"


def reproduce(profile: str, root: str | Path = ".", device: str = "cpu", progress: bool = True) -> Path:
    p = get_profile(profile)
    root = Path(root)
    settings = {"eval_interval": p.eval_interval, "eval_episodes": p.eval_episodes,
                "checkpoint_interval": p.checkpoint_interval, "progress": progress}
    rows, figures = [], []
    for env in p.envs:
        for level in p.levels:
            name = f"{env}-{level}"
            base = root / "runs" / p.name / name
            # a run directory per full specification: a changed profile or acalib version runs afresh
            spec = {"dataset": name, "seeds": p.seeds, "size": p.dataset_size,
                    "loop": {k: v for k, v in settings.items() if k != "progress"}}
            off_dir = base / f"sac_ml-{run_key(algo='sac_ml', steps=p.offline_steps, **spec)}"
            off = run_offline("sac_ml", name, list(p.seeds), p.offline_steps, off_dir, device=device,
                              settings=settings, size=p.dataset_size)
            online = {}
            for label, algo in (("SAC→ACA", "aca"), ("SAC→SAC", "sac")):
                key = run_key(algo=algo, init=off_dir.name, steps=p.online_steps, **spec)
                online[label] = run_online(algo, p.online_steps, base / f"{algo}-{key}", init=off.path,
                                           device=device, settings=settings)
            off_m = pd.read_csv(off.metrics_path)
            on_m = {label: pd.read_csv(r.metrics_path) for label, r in online.items()}
            source = off.config()["dataset"]["source"]

            fig, ax = plt.subplots(figsize=(6, 3.6))
            plot_offline_online(ax, off_m, on_m, f"{name} ({p.name}: {len(p.seeds)} seeds)")
            figures += save_figure(fig, root / "figures" / f"pipeline_{name}_{p.name}")

            off_final = final_scores(off_m)
            row = {"dataset": name, "source": source, "SAC+ML offline": fmt(off_final)}
            for label, m in on_m.items():
                fin = final_scores(m)
                row[label] = f"{fmt(fin)} ({(fin - off_final).mean():+.2f})"
            ref = paper.TABLE2.get((env, level), {})
            for key in ("sac_to_aca", "sac_to_sac"):
                if key in ref:
                    row[f"{paper.TABLE2_METHODS[key]} (paper)"] = f"{ref[key][0]:.2f} ({ref[key][1]:+.2f})"
            rows.append(row)

    table = pd.DataFrame(rows)
    note = (f"acalib {__version__}, profile `{p.name}`: {p.offline_steps} offline steps, {p.online_steps} online "
            f"steps, seeds {list(p.seeds)}, evaluation {p.eval_episodes} episodes every {p.eval_interval} steps; "
            f"normalized score at the last evaluation, mean ± std over seeds (δ vs offline in brackets); "
            f"dataset sources in the `source` column. 'paper' columns: Table 2 of the paper (D4RL -v2, "
            f"500k offline + 100k online steps, 5 seeds) — not comparable at this scale.")
    tables = root / "results" / "tables"
    tables.mkdir(parents=True, exist_ok=True)
    table.to_csv(tables / f"pipeline_{p.name}.csv", index=False)
    (tables / f"pipeline_{p.name}.md").write_text(note + "\n\n" + markdown_table(table) + "\n")
    return write_report(root / "reports" / p.name, p.name, figures, table, note)


def markdown_table(df: pd.DataFrame) -> str:
    lines = ["| " + " | ".join(map(str, df.columns)) + " |", "|" + "---|" * len(df.columns)]
    lines += ["| " + " | ".join(map(str, row)) + " |" for row in df.itertuples(index=False)]
    return "\n".join(lines)


def write_report(out: Path, profile: str, figures: list[Path], table: pd.DataFrame, note: str) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    imgs = "\n".join(f'<figure><img src="{html.escape(str(Path("../..") / f.relative_to(f.parents[1])))}" '
                     f'alt="{f.stem}"><figcaption>{f.stem}</figcaption></figure>'
                     for f in figures if f.suffix == ".png")
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>acalib report: {profile}</title>
<style>body{{font-family:sans-serif;max-width:1100px;margin:2em auto}} img{{max-width:100%}}
table{{border-collapse:collapse}} td,th{{border:1px solid #ccc;padding:4px 8px}}</style></head><body>
<h1>acalib report, profile <code>{profile}</code></h1>
<p>{html.escape(note)}</p>
{table.to_html(index=False, escape=True)}
{imgs}
</body></html>"""
    index = out / "index.html"
    index.write_text(page)
    return index
