"""Measurement-quality bundle of a PLS path model (``PLSResult.quality()``).

One call gathers what Hair, Risher, Sarstedt & Ringle (2019, "When to use and how to report the
results of PLS-SEM", European Business Review 31(1), 2-24, Table I) ask a report to show, as R
seminr's ``summary(model)`` does (Ray, Danks & Calero Valdez 2022):

* reliability and convergent validity per construct: Cronbach's alpha, rho_C, rho_A, AVE
  (:func:`crm_research.sem.measurement.reliability.reliability`, with the PLS loadings and the
  standardised-item weights, so rho_A follows the seminr/cSEM convention after a scaled or an
  unscaled fit);
* discriminant validity: HTMT of the reflective constructs (with a percentile bootstrap
  interval when ``n_boot > 0``), the Fornell-Larcker criterion, cross-loadings;
* collinearity: outer VIF (items of each block) and inner VIF (predictors of each endogenous
  construct, main-effects model);
* ``checks``: one tidy row per rule and subject (construct, item or pair) with the value, the
  threshold and ``passed`` = True / False / "not applicable" (one-item and mode B constructs
  have no internal consistency; HTMT and Fornell-Larcker need two reflective constructs).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from crm_research.sem.measurement import reliability as rel
from crm_research.sem.measurement import validity as val

if TYPE_CHECKING:
    from crm_research.sem.pls.algorithm import PLSResult

NOT_APPLICABLE = rel.NOT_APPLICABLE
LOADING_MIN = 0.708  # Hair et al. 2019: loading^2 > 0.5, the construct explains > half


@dataclass(frozen=True)
class QualityReport:
    """Measurement quality of a PLS model (see the module docstring).

    ``reliability``: construct, mode, n_items, alpha, alpha_raw, rho_c, rho_a, ave, flags,
    note. ``htmt``: construct x construct matrix of the reflective constructs (empty with fewer
    than two). ``htmt_intervals``: one row per pair with ci_low / ci_high (NaN when
    ``n_boot = 0``). ``fornell_larcker`` (per construct: sqrt_ave, max_abs_corr, fl_ok) and
    ``fornell_larcker_matrix``. ``cross_loadings``, ``vif_outer``, ``vif_inner``.
    ``checks``: rule, subject, value, threshold, passed, source.
    """

    reliability: pd.DataFrame
    htmt: pd.DataFrame
    htmt_intervals: pd.DataFrame
    fornell_larcker: pd.DataFrame
    fornell_larcker_matrix: pd.DataFrame
    cross_loadings: pd.DataFrame
    vif_outer: pd.DataFrame
    vif_inner: pd.DataFrame
    checks: pd.DataFrame

    @property
    def table(self) -> pd.DataFrame:
        """The tidy threshold checks (rule, subject, value, threshold, passed, source)."""
        return self.checks

    def fit_table(self) -> pd.DataFrame:
        """Columns ``statistic``, ``value``: checks passed, failed, not applicable."""
        p = self.checks["passed"]
        return pd.DataFrame([
            {"statistic": "checks passed", "value": int((p == True).sum())},  # noqa: E712
            {"statistic": "checks failed", "value": int((p == False).sum())},  # noqa: E712
            {"statistic": "checks not applicable", "value": int((p == NOT_APPLICABLE).sum())},
        ])

    def failed(self) -> list[str]:
        """One sentence per failed check, e.g. for ``report.key_findings(failed_checks=...)``."""
        bad = self.checks[self.checks["passed"] == False]  # noqa: E712
        return [f"{r.rule}: {r.subject} = {r.value:.5f} (threshold {r.threshold})"
                for r in bad.itertuples()]


def _row(rule: str, subject: str, value: float, threshold: str, passed: Any,
         source: str) -> dict[str, Any]:
    if isinstance(passed, str) or not np.isfinite(value):
        passed = NOT_APPLICABLE
    else:
        passed = bool(passed)
    return {"rule": rule, "subject": subject, "value": float(value), "threshold": threshold,
            "passed": passed, "source": source}


HAIR = "Hair et al. 2019"


def _checks(res: PLSResult, reliab: pd.DataFrame, htmt_pairs: pd.DataFrame,
            fl: pd.DataFrame, cross: pd.DataFrame, vif_o: pd.DataFrame,
            vif_i: pd.DataFrame) -> pd.DataFrame:
    rows: list[dict[str, Any]] = []
    n_items = res.outer_model.groupby("construct", sort=False)["item"].transform("size")
    for r, k in zip(res.outer_model.itertuples(), n_items, strict=True):
        applies = r.mode == "A" and k > 1
        rows.append(_row("indicator loading >= 0.708", f"{r.construct}: {r.item}", r.loading,
                         ">= 0.708", r.loading >= LOADING_MIN if applies else NOT_APPLICABLE,
                         HAIR))
    for col, flag, rule, thr, invert in (
            ("alpha", "alpha_ok", "Cronbach's alpha >= 0.70", ">= 0.70", False),
            ("rho_c", "rho_c_ok", "composite reliability rho_C >= 0.70", ">= 0.70", False),
            ("rho_c", "rho_c_redundant", "composite reliability rho_C <= 0.95 (no redundant "
             "items)", "<= 0.95", True),
            ("rho_a", "rho_a_ok", "rho_A >= 0.70", ">= 0.70", False),
            ("ave", "ave_ok", "AVE >= 0.50", ">= 0.50", False)):
        for r in reliab.itertuples():
            f = getattr(r, flag)
            passed = NOT_APPLICABLE if isinstance(f, str) else (not f if invert else f)
            rows.append(_row(rule, r.construct, getattr(r, col), thr, passed, HAIR))
    if len(htmt_pairs):
        for r in htmt_pairs.itertuples():
            rows.append(_row("HTMT < 0.90", f"{r.construct_1} / {r.construct_2}", r.value,
                             "< 0.90", r.value < val.HTMT_LIBERAL,
                             "Henseler, Ringle & Sarstedt 2015"))
            if np.isfinite(r.ci_high):
                rows.append(_row("HTMT bootstrap upper bound < 1",
                                 f"{r.construct_1} / {r.construct_2}", r.ci_high, "< 1",
                                 r.ci_high < 1.0, "Franke & Sarstedt 2019"))
    else:
        rows.append(_row("HTMT < 0.90", "fewer than two reflective constructs", np.nan,
                         "< 0.90", NOT_APPLICABLE, "Henseler, Ringle & Sarstedt 2015"))
    for r in fl.itertuples():
        rows.append(_row("Fornell-Larcker: sqrt(AVE) > largest correlation", r.construct,
                         r.sqrt_ave, f"> {r.max_abs_corr:.3f}" if np.isfinite(r.max_abs_corr)
                         else "> largest correlation",
                         r.fl_ok, "Fornell & Larcker 1981"))
    if len(res.spec.constructs) > 1:
        for r in cross.itertuples():
            rows.append(_row("cross-loadings: own loading highest", f"{r.construct}: {r.item}",
                             r.loading, f"> {r.max_cross:.3f}", r.own_highest, "Chin 1998"))
    for r in vif_o.itertuples():
        rows.append(_row("outer VIF < 5", f"{r.construct}: {r.item}", r.vif, "< 5",
                         r.vif < val.VIF_MAX if np.isfinite(r.vif) else NOT_APPLICABLE, HAIR))
    for r in vif_i.itertuples():
        rows.append(_row("inner VIF < 5", f"{r.predictor} -> {r.target}", r.vif, "< 5",
                         r.vif < val.VIF_MAX, HAIR))
    return pd.DataFrame(rows, columns=["rule", "subject", "value", "threshold", "passed",
                                       "source"])


def _fornell_larcker(scores: pd.DataFrame, reliab: pd.DataFrame
                     ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fornell-Larcker over the reflective constructs with at least two items (AVE defined);
    "not applicable" when there are fewer than two such constructs."""
    ave = reliab.set_index("construct")["ave"].dropna()
    if len(ave) < 2:
        summ = pd.DataFrame({"construct": list(ave.index), "sqrt_ave": np.sqrt(ave.to_numpy()),
                             "max_abs_corr": np.nan})
        summ["fl_ok"] = NOT_APPLICABLE
        return summ, pd.DataFrame()
    scores = scores[list(ave.index)]
    return (val.fornell_larcker_summary(scores, ave), val.fornell_larcker(scores, ave))


def assess(res: PLSResult, n_boot: int = 0, level: float = 0.95,
           seed: int | None = 0) -> QualityReport:
    """The quality bundle of ``res`` (``PLSResult.quality`` calls this).

    ``n_boot`` > 0 adds seeded percentile bootstrap intervals to the HTMT pairs (resampling
    respondents; HTMT needs no re-estimation of the PLS model).
    """
    spec = res.spec.without_interactions()
    items = res.item_data
    om = res.outer_model.set_index("item")
    names = spec.construct_names
    reliab = rel.reliability(items, spec.blocks, loadings=om["loading"],
                             weights=res.standardised_weights, modes=spec.modes)
    reflective = spec.blocks_of_mode("A")
    if len(reflective) >= 2:
        htmt = val.htmt(items, reflective)
        pairs = val.htmt_table(items, reflective, n_boot=n_boot, level=level, seed=seed)
    else:
        htmt, pairs = pd.DataFrame(), pd.DataFrame()
    fl, fl_matrix = _fornell_larcker(res.scores, reliab)
    cross = val.cross_loadings(items, res.scores[names], spec.blocks)
    vif_o = val.vif_outer(items, spec.blocks)
    paths = {t: spec.predecessors(t) for t in spec.endogenous}
    vif_i = val.vif_inner(res.scores[names], paths) if paths else pd.DataFrame(
        columns=["target", "predictor", "vif", "vif_ok_5", "vif_ok_3"])
    checks = _checks(res, reliab, pairs, fl, cross, vif_o, vif_i)
    return QualityReport(reliability=reliab, htmt=htmt, htmt_intervals=pairs,
                         fornell_larcker=fl, fornell_larcker_matrix=fl_matrix,
                         cross_loadings=cross, vif_outer=vif_o, vif_inner=vif_i, checks=checks)
