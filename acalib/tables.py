"""Result tables in one format: mean ± std over seeds, δ in brackets, the paper beside, a note line.

    table = ScoreTable()
    off = final_scores(study.metrics(sac_ml))                    # one value per seed
    table.add("hopper-random", "SAC→ACA", final_scores(study.metrics(aca)), offline=off)
    table.add_paper("hopper-random", "SAC→ACA (paper)", *paper.TABLE2[("hopper", "random")]["sac_to_aca"])
    save_table(table.frame(), study.describe(runs), tables_dir, "table2_main")

Cells read "mean ± std (+δ)": std is the population one (ddof=0) over seeds, δ the mean over seeds of
the final score minus the same seed's score at the end of offline training (the paper's δ).
A "total" row (sum of the per-dataset means, as the paper's tables) is added when there are
several datasets; a column with a missing cell gets no total.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from .data.buffers import Transitions

MISSING = "—"  # no result: method not available here, or not in the paper


def final_scores(metrics: pd.DataFrame, value: str = "normalized_score") -> pd.Series:
    """``value`` at the last evaluation, one entry per seed (no best-checkpoint picking)."""
    last = metrics[metrics["step"] == metrics["step"].max()]
    return last.set_index("seed")[value]


@dataclass(frozen=True)
class Cell:
    mean: float | None
    std: float | None = None
    delta: float | None = None
    text: str | None = None  # shown instead of the numbers (e.g. why there is no result)

    def format(self, digits: int = 2) -> str:
        if self.mean is None:
            return self.text or MISSING
        out = f"{self.mean:.{digits}f}"
        if self.std is not None:
            out += f" ± {self.std:.{digits}f}"
        if self.delta is not None:
            out += f" ({self.delta:+.{digits}f})"
        return out


def seed_cell(final: pd.Series, offline: pd.Series | None = None) -> Cell:
    """Our result over seeds; with ``offline`` (per seed, same index) the δ."""
    delta = None if offline is None else float((final - offline.reindex(final.index)).mean())
    return Cell(float(final.mean()), float(final.std(ddof=0)), delta)


class ScoreTable:
    """Rows (datasets) × columns (methods, ours and the paper's), formatted as the paper's tables."""

    def __init__(self, index: str = "dataset", digits: int = 2):
        self.index, self.digits = index, digits
        self.cells: dict[str, dict[str, Cell | str]] = {}
        self.columns: list[str] = []

    def _put(self, row: str, column: str, cell: Cell | str) -> None:
        self.cells.setdefault(row, {})[column] = cell
        if column not in self.columns:
            self.columns.append(column)

    def add(self, row: str, column: str, final: pd.Series, offline: pd.Series | None = None) -> None:
        """Our final scores (one per seed), with δ against ``offline`` when given."""
        self._put(row, column, seed_cell(final, offline))

    def add_paper(self, row: str, column: str, mean: float | None, delta: float | None = None,
                  std: float | None = None) -> None:
        """A paper-reported number; the column's name should say so, e.g. "SAC→ACA (paper)"."""
        self._put(row, column, Cell(mean, std, delta))

    def add_missing(self, row: str, column: str, why: str = MISSING) -> None:
        self._put(row, column, Cell(None, text=why))

    def add_text(self, row: str, column: str, text: str) -> None:
        self._put(row, column, str(text))

    def totals(self) -> dict[str, str]:
        out = {}
        for col in self.columns:
            cells = [self.cells[r].get(col) for r in self.cells]
            if all(isinstance(c, Cell) and c.mean is not None for c in cells):
                deltas = [c.delta for c in cells]
                out[col] = Cell(sum(c.mean for c in cells),
                                delta=sum(deltas) if all(d is not None for d in deltas) else None).format(self.digits)
            else:
                out[col] = "" if any(isinstance(c, str) for c in cells) else MISSING
        return out

    def frame(self, total: bool | None = None, columns: list[str] | None = None) -> pd.DataFrame:
        """The formatted table; ``total`` (default: when there are several rows) adds the total row."""
        columns = columns or self.columns
        rows = [{self.index: r, **{c: (v.format(self.digits) if isinstance(v, Cell) else v)
                                   for c, v in ((c, self.cells[r].get(c, Cell(None))) for c in columns)}}
                for r in self.cells]
        if total if total is not None else len(self.cells) > 1:
            totals = self.totals()
            rows.append({self.index: "total", **{c: totals[c] for c in columns}})
        return pd.DataFrame(rows, columns=[self.index, *columns])


def markdown_table(df: pd.DataFrame) -> str:
    lines = ["| " + " | ".join(map(str, df.columns)) + " |", "|" + "---|" * len(df.columns)]
    lines += ["| " + " | ".join(map(str, row)) + " |" for row in df.itertuples(index=False)]
    return "\n".join(lines)


def save_table(df: pd.DataFrame, note: str, tables_dir: str | Path, stem: str) -> list[Path]:
    """Write ``<tables_dir>/<stem>.csv`` and ``.md`` (the note line, then the table); returns both."""
    out = Path(tables_dir)
    out.mkdir(parents=True, exist_ok=True)
    csv, md = out / f"{stem}.csv", out / f"{stem}.md"
    df.to_csv(csv, index=False)
    md.write_text(note.strip() + "\n\n" + markdown_table(df) + "\n", encoding="utf-8")
    return [csv, md]



def critic_scale(offline: dict[str, tuple[pd.DataFrame, Transitions, float]]) -> pd.DataFrame:
    """Whether offline critics stayed on their data's value scale. ``offline``: label -> (the run's metrics, its
    dataset's transitions, its discount gamma). Per label: the normalized score and the critic's mean Q
    (``q_mean``) at the last offline evaluation (means over seeds), the largest discounted return-to-go in the
    data, and r_max / (1 - gamma), which no critic of these rewards can exceed: a mean Q above it has diverged."""
    rows = {}
    for label, (metrics, transitions, gamma) in offline.items():
        last = metrics[metrics["step"] == metrics["step"].max()]
        bound = float(transitions.rewards.max()) / (1 - gamma)
        rows[label] = {"normalized score": last["normalized_score"].mean(), "critic mean Q": last["q_mean"].mean(),
                       "largest return-to-go in the data": float(transitions.discounted_returns_to_go(gamma).max()),
                       "r_max / (1 - γ)": bound, "diverged": bool(last["q_mean"].mean() > bound)}
    return pd.DataFrame.from_dict(rows, orient="index")
