"""The paper's claims C1-C6, judged on a profile's runs by statistics fixed before any result was seen.

Per seed of an online run: ``s0`` = normalized score at online step 0 (the switch); ``early`` = mean
normalized score of the first ``EARLY_EVALUATIONS`` online evaluations after it (steps 1k...10k at
the 1000-step evaluation interval of the claims profile); ``change = early - s0``; ``delta`` = score
at the last online evaluation - ``s0``. Per seed of an actor-only run: ``change`` = mean score of its
last three evaluations - score at step 0. A statistic is the mean over seeds with a 95 % percentile
bootstrap interval over seeds (10,000 resamples, fixed seed); a paired difference of two methods pairs
the seeds that share an offline run.

A test on an interval is one of ``BELOW`` (the interval lies below 0), ``ABOVE`` (above 0) or
``NOT_BELOW`` (it reaches 0 or above). A claim holds when every test of it passes, does not hold when
the interval of one of its tests lies on the wrong side (``BELOW``/``ABOVE``: entirely on the other
side of 0; ``NOT_BELOW``: entirely below 0), and is inconclusive otherwise.

    tests = claim_tests(Study("claims", train=False))   # one per claim, subject and statistic
    frame = claims_frame(tests)                          # with each claim's verdict
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .runs import RunDir, write_csv_atomic, write_text_atomic
from .tables import markdown_table

EARLY_EVALUATIONS = 10  # evaluations after the switch that make ``early`` (1k...10k at a 1000-step interval)
LAST_EVALUATIONS = 3  # actor-only: the last three evaluations
BOOTSTRAP_RESAMPLES = 10_000
BOOTSTRAP_SEED = 0
CONFIDENCE = 0.95
SCORE = "normalized_score"

BELOW, ABOVE, NOT_BELOW = "< 0", "> 0", "reaches >= 0"
HOLDS, DOES_NOT_HOLD, INCONCLUSIVE = "holds", "does not hold", "inconclusive"


class ClaimDataError(ValueError):
    """A run's metrics cannot give a claim statistic (no step-0 evaluation, too few evaluations)."""


def _scores(metrics: pd.DataFrame, where: str) -> pd.DataFrame:
    """seed x step table of normalized scores; ``where`` names the run in errors."""
    missing = {"step", "seed", SCORE} - set(metrics.columns)
    if missing:
        raise ClaimDataError(f"{where}: metrics lack the columns {sorted(missing)}")
    table = metrics.pivot_table(index="seed", columns="step", values=SCORE, aggfunc="mean").sort_index(axis=1)
    if 0 not in table.columns:
        raise ClaimDataError(f"{where}: no evaluation at step 0 (the switch); the claim statistics need one")
    if table[0].isna().any():
        raise ClaimDataError(f"{where}: seeds {sorted(table.index[table[0].isna()])} have no step-0 evaluation")
    return table


def online_statistics(metrics: pd.DataFrame, where: str = "online run") -> pd.DataFrame:
    """Per seed (index): ``s0``, ``early``, ``change`` and ``delta`` of an online run's metrics."""
    table = _scores(metrics, where)
    after = [step for step in table.columns if step > 0]
    if not after:
        raise ClaimDataError(f"{where}: no online evaluation after step 0")
    early = table[after[:EARLY_EVALUATIONS]].mean(axis=1)
    s0 = table[0]
    return pd.DataFrame({"s0": s0, "early": early, "change": early - s0, "delta": table[after[-1]] - s0})


def actor_only_statistics(metrics: pd.DataFrame, where: str = "actor-only run") -> pd.DataFrame:
    """Per seed (index): ``s0`` and ``change`` (mean of the last three evaluations - step 0)."""
    table = _scores(metrics, where)
    after = [step for step in table.columns if step > 0]
    if len(after) < LAST_EVALUATIONS:
        raise ClaimDataError(f"{where}: {len(after)} evaluations after step 0; the statistic needs "
                             f"{LAST_EVALUATIONS}")
    s0 = table[0]
    return pd.DataFrame({"s0": s0, "change": table[after[-LAST_EVALUATIONS:]].mean(axis=1) - s0})


def bootstrap_interval(values, resamples: int = BOOTSTRAP_RESAMPLES, seed: int = BOOTSTRAP_SEED,
                       confidence: float = CONFIDENCE) -> tuple[float, float, float]:
    """(mean, low, high): the mean over seeds and its percentile-bootstrap interval (seeds resampled
    with replacement ``resamples`` times from ``np.random.default_rng(seed)``)."""
    x = np.asarray(values, dtype=float)
    if x.ndim != 1 or len(x) == 0 or not np.isfinite(x).all():
        raise ClaimDataError(f"a bootstrap needs finite values over at least one seed, got {x.tolist()}")
    rng = np.random.default_rng(seed)
    means = x[rng.integers(0, len(x), size=(resamples, len(x)))].mean(axis=1)
    tail = 100 * (1 - confidence) / 2
    low, high = np.percentile(means, [tail, 100 - tail])
    return float(x.mean()), float(low), float(high)


def paired(a: pd.Series, b: pd.Series, what: str = "paired difference") -> pd.Series:
    """a - b over the seeds both have (the seeds that share an offline run)."""
    seeds = a.index.intersection(b.index)
    if len(seeds) == 0:
        raise ClaimDataError(f"{what}: the two runs share no seed ({sorted(a.index)} vs {sorted(b.index)})")
    return a.loc[seeds] - b.loc[seeds]


def test_outcome(test: str, low: float, high: float) -> str:
    """``HOLDS``, ``DOES_NOT_HOLD`` or ``INCONCLUSIVE`` for one interval test."""
    if test == BELOW:
        return HOLDS if high < 0 else DOES_NOT_HOLD if low > 0 else INCONCLUSIVE
    if test == ABOVE:
        return HOLDS if low > 0 else DOES_NOT_HOLD if high < 0 else INCONCLUSIVE
    if test == NOT_BELOW:
        return HOLDS if high >= 0 else DOES_NOT_HOLD
    raise ValueError(f"unknown test {test!r}; valid: {[BELOW, ABOVE, NOT_BELOW]}")


def combine(outcomes: list[str]) -> str:
    """A claim's verdict from its tests: holds if all hold, does not hold if any does not."""
    if DOES_NOT_HOLD in outcomes:
        return DOES_NOT_HOLD
    return HOLDS if outcomes and all(o == HOLDS for o in outcomes) else INCONCLUSIVE


@dataclass(frozen=True)
class Test:
    """One statistic of one claim on one subject: per-seed values and the interval test on their mean."""
    claim: str
    subject: str  # a dataset, critic or ablation
    statistic: str  # e.g. "change (SAC→SAC)", "paired change, ACA − SAC→SAC"
    values: pd.Series  # per seed
    test: str

    def row(self) -> dict:
        mean, low, high = bootstrap_interval(self.values.to_numpy())
        return {"claim": self.claim, "statement": STATEMENTS[self.claim], "subject": self.subject,
                "statistic": self.statistic, "test": self.test, "mean": mean, "low": low, "high": high,
                "seeds": len(self.values), "outcome": test_outcome(self.test, low, high)}


STATEMENTS = {
    "C1": "Fig. 1a: SAC→SAC drops at the switch (hopper-medium)",
    "C2": "Figs. 1b, 2: actor-only updates with the offline Q on random states degrade the policy",
    "C3": "Fig. 3: with the aligned Q they do not",
    "C4": "Fig. 5: SAC→ACA has no significant initial drop",
    "C5": "Table 2: ACA improves over its offline start",
    "C6": "Fig. 7: BC-only and R-init-by-Q drop (hopper-medium)",
}
ABLATIONS = {"aca_bc_only": "BC only", "aca_r_init_q": "R init by Q"}
CLAIMS_ENV = "hopper"  # the paper states C1-C3 and C6 on Hopper (Figs. 1, 3, 7: hopper-medium, hopper-random states)
ACTOR_ONLY_CRITICS = {"sac_ml": "SAC+ML Q", "cql": "CQL Q", "awac": "AWAC Q"}


def claims_medium(study) -> tuple[str, str]:
    """The environment C1-C3 and C6 are judged on (``CLAIMS_ENV`` when the profile has it, else its first) and
    that environment's medium dataset as the profile names it (tiny: its one level)."""
    envs = study.profile.envs
    env = CLAIMS_ENV if CLAIMS_ENV in envs else envs[0]
    medium, = (name for name in study.datasets(("medium",)) if name.startswith(f"{env}-"))
    return env, medium


def claim_runs(study, missing: list | None = None) -> dict[tuple[str, str, str], RunDir]:
    """Every run C1-C6 are judged on, asked of ``study`` (C1-C3 and C6 on ``claims_medium``'s environment, C4 and
    C5 on every dataset of the profile): ``("online", algo, dataset)`` and ``("actor_only", offline algo, critic)``
    (on random states, from the medium run). ``study`` may be one that only loads runs (``Study(..., train=False)``; a missing
    run raises with what to run) or one that plans them (``acalib plan``). With a ``missing`` list (an
    interim judgement), the key of a run that is not finished is added there and the run left out instead of raising."""
    from .study import MissingRunError

    env, medium = claims_medium(study)
    ood = f"{env}-random"
    runs = {}

    def ask(key, request):
        try:
            runs[key] = request()
        except MissingRunError:
            if missing is None:
                raise
            missing.append(key)

    ask(("online", "sac", medium), lambda: study.online("sac", study.offline("sac_ml", medium)))
    for off_algo in ACTOR_ONLY_CRITICS:
        if study.skip_reason(off_algo, medium) is None:
            ask(("actor_only", off_algo, "offline"), lambda a=off_algo: study.actor_only(study.offline(a, medium), ood))
    ask(("actor_only", "sac_ml", "aligned"),
        lambda: study.actor_only(study.offline("sac_ml", medium), ood, critic="aligned"))
    for dataset in study.datasets():
        ask(("online", "aca", dataset), lambda d=dataset: study.online("aca", study.offline("sac_ml", d)))
    for algo in ABLATIONS:
        ask(("online", algo, medium), lambda a=algo: study.online(a, study.offline("sac_ml", medium)))
    return runs


def claim_tests(study, runs: dict | None = None) -> list[Test]:
    """Every test of C1-C6 on ``runs`` (``claim_runs(study)`` unless given). A test whose runs are not all in
    ``runs`` (an interim judgement: ``claim_runs(study, missing)``) is left out."""
    runs = claim_runs(study) if runs is None else runs
    env, medium = claims_medium(study)
    ood = f"{env}-random"
    tests: list[Test] = []

    def online(algo, dataset):
        run = runs.get(("online", algo, dataset))
        return None if run is None else online_statistics(study.metrics(run), f"{algo} on {dataset}")

    def actor_only(off_algo, critic):
        run = runs.get(("actor_only", off_algo, critic))
        return None if run is None else actor_only_statistics(study.metrics(run),
                                                              f"actor-only ({critic} Q of {off_algo}) on {ood}")

    def add(claim, subject, statistic, values, test):
        if values is not None:
            tests.append(Test(claim, subject, statistic, values, test))

    def change(stats):
        return None if stats is None else stats["change"]

    sac_medium = change(online("sac", medium))
    add("C1", medium, "change (SAC→SAC)", sac_medium, BELOW)
    offline_changes = {}
    for off_algo, label in ACTOR_ONLY_CRITICS.items():
        offline_changes[off_algo] = change(actor_only(off_algo, "offline"))
        add("C2", f"{label}, {ood} states", "change (actor-only, offline Q)", offline_changes[off_algo], BELOW)
    aligned = change(actor_only("sac_ml", "aligned"))
    subject = f"SAC+ML, {ood} states"
    add("C3", subject, "change (actor-only, aligned Q)", aligned, NOT_BELOW)
    if aligned is not None and offline_changes["sac_ml"] is not None:
        add("C3", subject, "paired change, aligned − offline Q", paired(aligned, offline_changes["sac_ml"], "C3"), ABOVE)
    for dataset in study.datasets():
        aca = online("aca", dataset)
        if aca is None:
            continue
        add("C4", dataset, "change (SAC→ACA)", aca["change"], NOT_BELOW)
        if dataset == medium and sac_medium is not None:
            add("C4", dataset, "paired change, ACA − SAC→SAC", paired(aca["change"], sac_medium, "C4"), ABOVE)
        add("C5", dataset, "delta (SAC→ACA)", aca["delta"], ABOVE)
    for algo, label in ABLATIONS.items():
        add("C6", f"{label}, {medium}", f"change ({label})", change(online(algo, medium)), BELOW)
    return tests


def claims_frame(tests: list[Test]) -> pd.DataFrame:
    """One row per test, with the verdict of its claim on its subject (all its tests combined)."""
    rows = pd.DataFrame([t.row() for t in tests])
    verdicts = rows.groupby(["claim", "subject"])["outcome"].agg(lambda o: combine(list(o)))
    rows["verdict"] = [verdicts[(c, s)] for c, s in zip(rows["claim"], rows["subject"])]
    return rows


def write_claims(frame: pd.DataFrame, note: str, out_dir: str | Path, stem: str = "claims") -> tuple[Path, Path]:
    """``claims.csv`` (numbers in full) and ``claims.md`` (rounded, with ``note``), atomically."""
    out_dir = Path(out_dir)
    csv_path, md_path = out_dir / f"{stem}.csv", out_dir / f"{stem}.md"
    write_csv_atomic(frame, csv_path)
    shown = frame.assign(interval=[f"[{lo:.2f}, {hi:.2f}]" for lo, hi in zip(frame["low"], frame["high"])],
                         mean=frame["mean"].map(lambda v: f"{v:.2f}"))
    shown = shown[["claim", "statement", "subject", "statistic", "test", "mean", "interval", "seeds", "outcome",
                   "verdict"]]
    write_text_atomic(md_path, note.strip() + "\n\n" + markdown_table(shown) + "\n")
    return csv_path, md_path


def claims_note(study) -> str:
    """The line every claims table carries: profile, steps, seeds, dataset source, the statistics."""
    p = study.profile
    runs = {e["path"]: RunDir(e["path"]) for e in study.used if e["stage"] != "q_probe"}
    return (f"Claims C1–C6 at {study.describe(runs)}; actor-only {p.actor_only_steps} steps. Statistics fixed before the runs: mean over seeds with a "
            f"{CONFIDENCE:.0%} percentile-bootstrap interval ({BOOTSTRAP_RESAMPLES:,} resamples, seed {BOOTSTRAP_SEED}); "
            f"change = mean of the first {EARLY_EVALUATIONS} online evaluations − the score at the switch "
            f"(actor-only: mean of the last {LAST_EVALUATIONS} − step 0); delta = last − switch; paired "
            f"differences pair the seeds of one offline run. A claim holds when all its tests pass.")


def run_claims(profile: str = "claims", root: str | Path | None = None, out_dir: str | Path | None = None,
               interim: bool = False) -> tuple[pd.DataFrame, tuple[Path, Path]]:
    """Judge C1-C6 on ``profile``'s finished runs (committed or trained here; nothing is trained) and
    write ``<out_dir>/claims.{csv,md}`` (default ``results/tables/<profile>/``). ``interim``: judge the tests
    whose runs have finished, name the missing runs in the note, and write ``claims_interim.{csv,md}``
    (a verdict there can change once a claim's other subjects and tests exist)."""
    from .study import Study

    study = Study(profile, root, train=False, progress=False)
    missing = [] if interim else None
    runs = claim_runs(study, missing)
    tests = claim_tests(study, runs)
    if not tests:
        raise LookupError(f"no claim of profile {profile!r} can be judged yet: none of its runs has finished; "
                          f"missing: {missing}")
    note = claims_note(study)
    if interim:
        asked = len(runs) + len(missing)
        unfinished = "; ".join(" ".join(key) for key in missing) or "none"
        note = (f"**Interim**: {len(runs)} of the {asked} claim runs have finished; only their tests are judged. "
                f"Not yet finished: {unfinished}. " + note)
    frame = claims_frame(tests)
    paths = write_claims(frame, note, out_dir or study.tables_dir, stem="claims_interim" if interim else "claims")
    return frame, paths
