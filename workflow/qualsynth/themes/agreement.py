"""Agreement between machine and gold (reference) coding of one code (binary, per unit).

Counts follow NVivo's coding comparison: ``both`` (a: coded by both), ``gold_only`` (b:
human only), ``pred_only`` (c: machine only), ``neither`` (d). Statistics:

- precision, recall, F1 of the machine against the human (gold) coding;
- percentage agreement ``(a + d) / n``;
- Cohen's kappa ``(p_o - p_e) / (1 - p_e)``;
- Krippendorff's alpha for nominal data, two coders, no missing values, in closed form
  ``1 - (2n - 1) * disagreements / (n_0 * n_1)`` where ``n_0``/``n_1`` count the 0 and 1
  values over both coders (identical to the ``krippendorff`` package, which the tests
  check);
- bootstrap 95% percentile intervals, resampling units with a fixed seed.

Undefined values (for example kappa when both coders use one category only) are NaN and
are reported as null.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

METRICS = ("precision", "recall", "f1", "agreement", "kappa", "alpha")


@dataclass(frozen=True)
class Counts:
    """2 x 2 table of one code over n units."""

    both: int
    gold_only: int
    pred_only: int
    neither: int

    @property
    def n(self) -> int:
        return self.both + self.gold_only + self.pred_only + self.neither

    @classmethod
    def from_vectors(cls, gold: np.ndarray, pred: np.ndarray) -> Counts:
        gold = np.asarray(gold, dtype=bool)
        pred = np.asarray(pred, dtype=bool)
        return cls(int(np.sum(gold & pred)), int(np.sum(gold & ~pred)),
                   int(np.sum(~gold & pred)), int(np.sum(~gold & ~pred)))


def _stats(a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray) -> dict[str, np.ndarray]:
    """Vectorised statistics from arrays of counts (a both, b gold only, c pred only)."""
    a, b, c, d = (np.asarray(x, dtype=float) for x in (a, b, c, d))
    n = a + b + c + d
    gold_pos, pred_pos = a + b, a + c
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(pred_pos > 0, a / pred_pos, np.where(gold_pos > 0, 0.0, np.nan))
        recall = np.where(gold_pos > 0, a / gold_pos, np.nan)
        denom_f1 = 2 * a + b + c
        f1 = np.where(denom_f1 > 0, 2 * a / denom_f1, np.nan)
        agreement = np.where(n > 0, (a + d) / n, np.nan)
        pe = np.where(n > 0, (gold_pos * pred_pos + (c + d) * (b + d)) / (n * n), np.nan)
        kappa = np.where(pe < 1 - 1e-12, (agreement - pe) / (1 - pe), np.nan)
        ones = gold_pos + pred_pos
        zeros = 2 * n - ones
        alpha = np.where(ones * zeros > 0, 1 - (2 * n - 1) * (b + c) / (ones * zeros), np.nan)
    return {"precision": precision, "recall": recall, "f1": f1, "agreement": agreement,
            "kappa": kappa, "alpha": alpha}


def statistics(counts: Counts) -> dict[str, float]:
    """Point statistics of one 2 x 2 table (NaN when undefined)."""
    out = _stats(np.array([counts.both]), np.array([counts.gold_only]),
                 np.array([counts.pred_only]), np.array([counts.neither]))
    return {k: float(v[0]) for k, v in out.items()}


def cohen_kappa(counts: Counts) -> float:
    return statistics(counts)["kappa"]


def krippendorff_alpha_binary(counts: Counts) -> float:
    return statistics(counts)["alpha"]


def krippendorff_alpha_package(gold: np.ndarray, pred: np.ndarray) -> float:
    """Krippendorff's alpha (nominal) from the ``krippendorff`` package, for cross-checks."""
    import krippendorff

    data = np.vstack([np.asarray(gold, dtype=float), np.asarray(pred, dtype=float)])
    if len(np.unique(data)) < 2:
        return math.nan
    return float(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"))


def bootstrap(gold: np.ndarray, pred: np.ndarray, iterations: int, seed: int,
              macro_columns: dict[str, np.ndarray] | None = None, chunk: int = 100
              ) -> dict[str, object]:
    """Bootstrap 95% intervals per code (columns of the unit x code matrices) and macro.

    ``gold`` and ``pred`` are boolean (n_units, n_codes). Every replicate resamples units
    with replacement (the same resample for all codes, so macro intervals are coherent).
    ``macro_columns`` maps a macro name to the boolean column mask it averages over.
    Returns ``{"codes": {metric: (n_codes, 2) array}, "macro": {name: {metric: (lo, hi)}}}``.
    """
    gold = np.asarray(gold, dtype=bool)
    pred = np.asarray(pred, dtype=bool)
    n_units, n_codes = gold.shape
    macro_columns = macro_columns or {}
    if iterations <= 0 or n_units == 0:
        nan_pair = np.full((n_codes, 2), np.nan)
        return {"codes": {m: nan_pair.copy() for m in METRICS},
                "macro": {name: {m: (math.nan, math.nan) for m in METRICS}
                          for name in macro_columns}}
    rng = np.random.default_rng(seed)
    per_code = {m: np.empty((iterations, n_codes)) for m in METRICS}
    g_int, p_int = gold.astype(np.int32), pred.astype(np.int32)
    done = 0
    while done < iterations:
        size = min(chunk, iterations - done)
        idx = rng.integers(0, n_units, size=(size, n_units))
        # counts per replicate and code via index weights (bincount of the resample)
        weights = np.empty((size, n_units), dtype=np.int32)
        for r in range(size):
            weights[r] = np.bincount(idx[r], minlength=n_units)
        a = weights @ (g_int & p_int)
        b = weights @ (g_int & (1 - p_int))
        c = weights @ ((1 - g_int) & p_int)
        d = n_units - a - b - c
        stats = _stats(a, b, c, d)
        for m in METRICS:
            per_code[m][done:done + size] = stats[m]
        done += size
    codes = {}
    for m in METRICS:
        with np.errstate(all="ignore"):
            codes[m] = _percentiles(per_code[m])
    macro = {}
    for name, mask in macro_columns.items():
        macro[name] = {}
        for m in METRICS:
            if not np.any(mask):
                macro[name][m] = (math.nan, math.nan)
                continue
            sub = per_code[m][:, mask]
            with np.errstate(all="ignore"), _quiet():
                reps = np.nanmean(sub, axis=1)
            lo, hi = _percentiles(reps[:, None])[0]
            macro[name][m] = (lo, hi)
    return {"codes": codes, "macro": macro}


def _percentiles(reps: np.ndarray) -> np.ndarray:
    """2.5th and 97.5th percentiles per column, ignoring NaN replicates."""
    out = np.full((reps.shape[1], 2), np.nan)
    for j in range(reps.shape[1]):
        col = reps[:, j]
        col = col[~np.isnan(col)]
        if col.size:
            out[j] = np.percentile(col, [2.5, 97.5])
    return out


class _quiet:
    """Silence numpy's 'mean of empty slice' warnings inside a block."""

    def __enter__(self) -> None:
        import warnings

        self._ctx = warnings.catch_warnings()
        self._ctx.__enter__()
        warnings.simplefilter("ignore", category=RuntimeWarning)

    def __exit__(self, *exc: object) -> None:
        self._ctx.__exit__(*exc)


def nan_to_none(value: float) -> float | None:
    """JSON-friendly: NaN -> None, otherwise rounded to 4 decimals."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return round(float(value), 4)
