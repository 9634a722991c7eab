"""Confirmatory factor analysis of a reflective measurement model and its fit indices.

CFA of a congeneric reflective measurement model is estimated with semopy (ML, Wishart objective
"MLW" on the covariance matrix with divisor N); the test statistic, the fit indices, the RMSEA
interval and the SRMR are computed here from the sample and model-implied covariance matrices,
following lavaan's definitions (Rosseel, 2012, JSS 48(2); ``lav_fit_*`` sources).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize

from crm_research._checks import check_level
from crm_research._lazy import lazy_module
from crm_research.errors import ConvergenceError, EstimationError, ParameterError, SpecError
from crm_research.sem.measurement.checks import check_item_blocks, numeric_items

stats = lazy_module("scipy.stats")

# Hu & Bentler (1999), Structural Equation Modeling 6(1): combination cut-offs.
CFI_MIN = 0.95
TLI_MIN = 0.95
RMSEA_MAX = 0.06
SRMR_MAX = 0.08


# ----------------------------------------------------------------------------------------------
# fit indices
# ----------------------------------------------------------------------------------------------


def rmsea(chi2: float, df: int, n: int) -> float:
    """RMSEA = sqrt(max(chi2/df - 1, 0) / N) (Steiger & Lind, 1980; lavaan ``lav_fit_rmsea``
    with N, not N - 1). df = 0 gives 0."""
    if df <= 0:
        return 0.0
    return float(np.sqrt(max(chi2 / df - 1.0, 0.0) / n))


def _ncx2_cdf(x: float, df: float, nc: float) -> float:
    if nc <= 0:
        return float(stats.chi2.cdf(x, df))
    return float(stats.ncx2.cdf(x, df, nc))


def rmsea_ci(chi2: float, df: int, n: int, level: float = 0.90) -> tuple[float, float]:
    """Confidence interval of the RMSEA by inverting the noncentral chi-square distribution
    (Steiger, 1990; Browne & Cudeck, 1993): lambda_L and lambda_U solve
    P(X <= chi2 | df, lambda) = (1 + level)/2 and (1 - level)/2, and the bounds are
    sqrt(lambda / (N df)); a bound whose equation has no non-negative root is 0 (lavaan
    ``lav_fit_rmsea_ci``)."""
    level = check_level(level, "level")
    if df <= 0 or not np.isfinite(chi2):
        return (float("nan"), float("nan"))
    up_p = (1 + level) / 2
    lo_p = (1 - level) / 2

    def solve(target: float) -> float:
        if _ncx2_cdf(chi2, df, 0.0) < target:
            return 0.0
        hi = max(chi2, 1.0)
        while _ncx2_cdf(chi2, df, hi) > target:
            hi *= 2.0
            if hi > 1e9:
                raise EstimationError("RMSEA interval: no root for the noncentrality parameter")
        return float(
            optimize.brentq(lambda lam: _ncx2_cdf(chi2, df, lam) - target, 0.0, hi, xtol=1e-12)
        )

    lam_l = solve(up_p)
    lam_u = solve(lo_p)
    return (float(np.sqrt(lam_l / (n * df))), float(np.sqrt(lam_u / (n * df))))


def fit_indices(
    chi2: float, df: int, chi2_base: float, df_base: int, n: int, level: float = 0.90
) -> dict[str, float]:
    """Chi-square based fit indices (lavaan definitions).

    CFI = 1 - max(chi2 - df, 0) / max(chi2 - df, chi2_b - df_b, 0) (Bentler, 1990);
    TLI = (chi2_b/df_b - chi2/df) / (chi2_b/df_b - 1) (Tucker & Lewis, 1973);
    RMSEA and its interval (see :func:`rmsea`, :func:`rmsea_ci`).
    """
    t = chi2 - df
    tb = chi2_base - df_base
    denom = max(t, tb, 0.0)
    cfi = 1.0 - max(t, 0.0) / denom if denom > 0 else 1.0
    tli = (
        (chi2_base / df_base - chi2 / df) / (chi2_base / df_base - 1.0)
        if df > 0 and df_base > 0 and chi2_base / df_base != 1.0
        else float("nan")
    )
    lo, hi = rmsea_ci(chi2, df, n, level)
    return {
        "chi2": float(chi2),
        "df": int(df),
        "p_value": float(stats.chi2.sf(chi2, df)) if df > 0 else float("nan"),
        "cfi": float(cfi),
        "tli": float(tli),
        "rmsea": rmsea(chi2, df, n),
        "rmsea_ci_low": lo,
        "rmsea_ci_high": hi,
        "chi2_baseline": float(chi2_base),
        "df_baseline": int(df_base),
    }


def srmr_bentler(sample_cov: np.ndarray, implied_cov: np.ndarray) -> float:
    """Standardised root mean square residual, Bentler's version (lavaan ``srmr_bentler``
    without a mean structure; Bentler, 1995, EQS manual):

    sqrt( mean over the p(p+1)/2 elements i >= j of ((s_ij - sigma_ij) / sqrt(s_ii s_jj))^2 ),

    residuals standardised by the *observed* variances.
    """
    s = np.asarray(sample_cov, dtype=float)
    sig = np.asarray(implied_cov, dtype=float)
    if s.shape != sig.shape or s.ndim != 2 or s.shape[0] != s.shape[1]:
        raise ParameterError("sample and implied covariance matrices must be square, same shape")
    d = np.sqrt(np.diag(s))
    res = (s - sig) / np.outer(d, d)
    il = np.tril_indices(s.shape[0])
    return float(np.sqrt(np.mean(res[il] ** 2)))


def ml_discrepancy(sample_cov: np.ndarray, implied_cov: np.ndarray) -> float:
    """F_ML = ln|Sigma| - ln|S| + tr(S Sigma^-1) - p (Jöreskog, 1969)."""
    s = np.asarray(sample_cov, dtype=float)
    sig = np.asarray(implied_cov, dtype=float)
    s1, ld_sig = np.linalg.slogdet(sig)
    s2, ld_s = np.linalg.slogdet(s)
    if s1 <= 0 or s2 <= 0:
        raise EstimationError("covariance matrix is not positive definite")
    return float(ld_sig - ld_s + np.trace(s @ np.linalg.inv(sig)) - s.shape[0])


# ----------------------------------------------------------------------------------------------
# CFA
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CFAResult:
    """Confirmatory factor analysis of a congeneric reflective measurement model.

    ``fit``: one row — n, chi2, df, p_value, cfi, tli, rmsea, rmsea_ci_low, rmsea_ci_high,
    srmr, chi2/df baseline, heywood (a negative residual variance or |standardised loading| > 1),
    latent_corr_pd (False: the factor correlation matrix is not positive definite, e.g. two
    factors correlate ~1 — a discriminant-validity problem), and flags cfi_ok (>= .95),
    tli_ok (>= .95), rmsea_ok (<= .06), srmr_ok (<= .08) (Hu & Bentler, 1999).
    ``loadings``: construct, item, estimate (first loading of each factor fixed to 1),
    std_error, p_value, std_loading (standardised by the model-implied variances, lavaan's
    std.all), residual_variance, std_loading_ok (>= .708; Hair et al., 2019).
    ``factor_corr``: latent correlations. ``reliability``: rho_C and AVE per construct from the
    standardised CFA loadings (as seminr's ``rhoC_AVE.cfa_model``).
    ``sample_cov`` / ``implied_cov``: covariance matrices (divisor N) in item order.
    """

    fit: pd.DataFrame
    loadings: pd.DataFrame
    factor_corr: pd.DataFrame
    reliability: pd.DataFrame
    sample_cov: pd.DataFrame
    implied_cov: pd.DataFrame
    n_params: int

    @property
    def table(self) -> pd.DataFrame:
        """The loadings: construct, item, estimate, std_error, p_value, std_loading, ..."""
        return self.loadings

    def fit_table(self) -> pd.DataFrame:
        """Columns ``statistic``, ``value``: the one-row ``fit`` in long form."""
        row = self.fit.iloc[0]
        return pd.DataFrame({"statistic": list(row.index), "value": list(row.to_numpy())})


def cfa(
    items: pd.DataFrame,
    blocks: Mapping[str, Sequence[str]],
    *,
    missing: str = "error",
    level: float = 0.90,
) -> CFAResult:
    """Fit a congeneric CFA (each item loads on its construct only, correlated factors,
    uncorrelated errors) by maximum likelihood with semopy, then compute the fit statistics
    here: chi2 = N F_ML (S with divisor N, as lavaan and semopy), df = p(p+1)/2 - q,
    baseline = independence model, CFI / TLI / RMSEA (+ ``level`` interval) by
    :func:`fit_indices` and SRMR by :func:`srmr_bentler`.

    A one-item construct is identified by fixing its item's error variance to 0 (the factor
    is the item; standardised loading 1, rho_C = AVE = 1). Errors: semopy failures ->
    EstimationError; optimiser not converged -> ConvergenceError; df < 0 -> SpecError.
    """
    import semopy

    level = check_level(level, "level")
    b = check_item_blocks(items, blocks)
    cols = [i for v in b.values() for i in v]
    x = numeric_items(items, cols, missing=missing)
    n, p = x.shape
    item_alias = {it: f"x{i}" for i, it in enumerate(cols)}
    con_alias = {c: f"F{i}" for i, c in enumerate(b)}
    lines = [f"{con_alias[c]} =~ " + " + ".join(item_alias[i] for i in v) for c, v in b.items()]
    # a one-item factor is identified only with its error variance fixed: 0 (item = factor)
    lines += [f"{item_alias[v[0]]} ~~ 0*{item_alias[v[0]]}" for v in b.values() if len(v) == 1]
    desc = "\n".join(lines)
    data = x.rename(columns=item_alias)
    try:
        model = semopy.Model(desc)
        res = model.fit(data, obj="MLW")
    except Exception as exc:  # semopy raises many types; report one clear error
        raise EstimationError(f"semopy could not fit the CFA model: {exc}") from exc
    if not getattr(res, "success", False):
        raise ConvergenceError(
            f"CFA did not converge (semopy: {getattr(res, 'message', 'no message')})"
        )
    obs = list(model.vars["observed"])
    order = [obs.index(item_alias[i]) for i in cols]
    sigma_raw, _ = model.calc_sigma()
    sigma = np.asarray(sigma_raw)[np.ix_(order, order)]
    s = np.cov(x.to_numpy(), rowvar=False, bias=True)
    q = len(model.param_vals)
    df = p * (p + 1) // 2 - q
    if df < 0:
        raise SpecError(f"the CFA model is not identified: {q} parameters for {p} items (df={df})")
    try:
        f_ml = ml_discrepancy(s, sigma)
    except EstimationError as exc:
        raise EstimationError(f"CFA: {exc}") from exc
    chi2 = n * f_ml
    chi2_base = n * float(np.sum(np.log(np.diag(s))) - np.linalg.slogdet(s)[1])
    df_base = p * (p - 1) // 2
    fi = fit_indices(chi2, df, chi2_base, df_base, n, level)
    srmr = srmr_bentler(s, sigma)

    # parameter matrices (semopy orders: names_lambda = (observed, latent))
    lam_rows, lam_cols = model.names_lambda
    lam = pd.DataFrame(np.asarray(model.mx_lambda), index=lam_rows, columns=lam_cols)
    psi_names = model.names_psi[0]
    psi = pd.DataFrame(np.asarray(model.mx_psi), index=psi_names, columns=psi_names)
    th_names = model.names_theta[0]
    theta = pd.DataFrame(np.asarray(model.mx_theta), index=th_names, columns=th_names)
    sig_df = pd.DataFrame(sigma, index=cols, columns=cols)
    try:
        est = model.inspect(std_est=False)
    except Exception:  # standard errors are optional
        est = None
    rows = []
    for c, v in b.items():
        fa = con_alias[c]
        for it in v:
            xa = item_alias[it]
            loading = float(lam.loc[xa, fa])
            std = loading * np.sqrt(psi.loc[fa, fa]) / np.sqrt(sig_df.loc[it, it])
            se = pv = np.nan
            if est is not None:
                hit = est[(est["lval"] == xa) & (est["op"] == "~") & (est["rval"] == fa)]
                if len(hit):
                    se = pd.to_numeric(hit["Std. Err"].iloc[0], errors="coerce")
                    pv = pd.to_numeric(hit["p-value"].iloc[0], errors="coerce")
            rows.append(
                {
                    "construct": c,
                    "item": it,
                    "estimate": loading,
                    "std_error": float(se),
                    "p_value": float(pv),
                    "std_loading": float(std),
                    "residual_variance": float(theta.loc[xa, xa]),
                }
            )
    ld = pd.DataFrame(rows)
    ld["std_loading_ok"] = ld["std_loading"] >= 0.708
    fac = [con_alias[c] for c in b]
    ps = psi.loc[fac, fac].to_numpy()
    dps = np.sqrt(np.diag(ps))
    phi = ps / np.outer(dps, dps)
    heywood = bool((ld["residual_variance"] < 0).any() or (ld["std_loading"].abs() > 1).any())
    latent_pd = bool(np.linalg.eigvalsh(phi).min() > 0)
    fit = pd.DataFrame(
        [{"n": n, **fi, "srmr": srmr, "heywood": heywood, "latent_corr_pd": latent_pd}]
    )
    fit["cfi_ok"] = fit["cfi"] >= CFI_MIN
    fit["tli_ok"] = fit["tli"] >= TLI_MIN
    fit["rmsea_ok"] = fit["rmsea"] <= RMSEA_MAX
    fit["srmr_ok"] = fit["srmr"] <= SRMR_MAX
    rel_rows = []
    for c in b:
        lam_c = ld.loc[ld["construct"] == c, "std_loading"].to_numpy()
        ssum = lam_c.sum() ** 2
        rel_rows.append(
            {
                "construct": c,
                "rho_c": float(ssum / (ssum + np.sum(1 - lam_c**2))),
                "ave": float(np.mean(lam_c**2)),
            }
        )
    rel = pd.DataFrame(rel_rows)
    rel["rho_c_ok"] = rel["rho_c"] >= 0.70
    rel["ave_ok"] = rel["ave"] >= 0.50
    names = list(b)
    return CFAResult(
        fit=fit,
        loadings=ld,
        factor_corr=pd.DataFrame(phi, index=names, columns=names),
        reliability=rel,
        sample_cov=pd.DataFrame(s, index=cols, columns=cols),
        implied_cov=sig_df,
        n_params=q,
    )


#: The fit rules of :func:`cfa` (Hu & Bentler, 1999) as (label, column, flag, comparison, cut).
FIT_RULES = (("CFI", "cfi", "cfi_ok", ">=", CFI_MIN), ("TLI", "tli", "tli_ok", ">=", TLI_MIN),
             ("RMSEA", "rmsea", "rmsea_ok", "<=", RMSEA_MAX),
             ("SRMR", "srmr", "srmr_ok", "<=", SRMR_MAX))


def fit_failures(fit: pd.DataFrame) -> list[str]:
    """The CFA fit rules a fit table (``cfa(...).fit``) misses, in words, e.g.
    ``"CFA fit: CFI = 0.838 (rule >= 0.95, Hu & Bentler 1999)"``; a Heywood case or a
    non-positive-definite latent correlation matrix is listed too."""
    out = []
    for _, row in fit.iterrows():
        for label, col, flag, op, cut in FIT_RULES:
            if col in row and flag in row and not bool(row[flag]):
                out.append(f"CFA fit: {label} = {float(row[col]):.3f} (rule {op} {cut:g}, "
                           "Hu & Bentler 1999)")
        if bool(row.get("heywood", False)):
            out.append("CFA: a Heywood case (negative residual variance or |std loading| > 1)")
        if "latent_corr_pd" in row and not bool(row["latent_corr_pd"]):
            out.append("CFA: the latent correlation matrix is not positive definite (two "
                       "factors correlate about 1: a discriminant-validity problem)")
    return out

