"""Exploratory factor-analytic checks of a measurement model: KMO, Bartlett's test and EFA.

* KMO and Bartlett's test of sphericity are computed here from their formulas.
* EFA is estimated with statsmodels' ``Factor`` (principal axis or maximum likelihood) and
  rotated with varimax and promax computed here exactly as R ``stats::varimax`` /
  ``stats::promax`` with their defaults (Kaiser row normalisation, eps = 1e-5, m = 4; see
  :func:`varimax`), or with statsmodels' ``rotate`` (quartimax, oblimin); factors are then
  ordered and signed as R ``factanal`` prints them (:func:`sort_loadings`). With
  ``method="ml"`` and ``rotation="varimax"`` this reproduces R's
  ``factanal(x, factors, rotation = "varimax")`` (checked in the tests to 1e-4 on ECSI).
* CFA and its fit indices live in :mod:`crm_research.sem.measurement.confirmatory`.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from statsmodels.tools.sm_exceptions import ConvergenceWarning

from crm_research._lazy import lazy_module
from crm_research.errors import EstimationError, ParameterError, SpecError
from crm_research.sem.measurement.checks import (
    numeric_columns,
    numeric_items,
)

stats = lazy_module("scipy.stats")

KMO_MIN = 0.50  # Kaiser (1974), Psychometrika 39(1): below .50 "unacceptable"


def _kaiser_label(v: float) -> str:
    """Kaiser (1974) verbal labels for KMO / MSA."""
    for cut, label in (
        (0.9, "marvelous"),
        (0.8, "meritorious"),
        (0.7, "middling"),
        (0.6, "mediocre"),
        (0.5, "miserable"),
    ):
        if v >= cut:
            return label
    return "unacceptable"


def _corr_checked(x: pd.DataFrame) -> np.ndarray:
    r = np.corrcoef(x.to_numpy(), rowvar=False)
    if r.ndim == 0 or r.shape[0] < 2:
        raise SpecError("need at least two items")
    eig = np.linalg.eigvalsh(r)
    if eig.min() <= 1e-12 * max(eig.max(), 1.0):
        raise EstimationError(
            "the item correlation matrix is singular (an item is a linear combination of others)"
        )
    return r


def _items_frame(items: pd.DataFrame, columns: Sequence[str] | None, missing: str) -> pd.DataFrame:
    if not isinstance(items, pd.DataFrame):
        numeric_items(items, [])
    if columns is None:
        columns = numeric_columns(items)
    return numeric_items(items, list(columns), missing=missing)


@dataclass(frozen=True)
class KMOResult:
    """Kaiser-Meyer-Olkin measure: ``overall`` and a per-item table (item, msa, label, msa_ok)."""

    overall: float
    label: str
    items: pd.DataFrame

    @property
    def table(self) -> pd.DataFrame:
        """Per-item rows followed by one row ``item="(overall)"``."""
        tail = pd.DataFrame(
            [
                {
                    "item": "(overall)",
                    "msa": self.overall,
                    "label": self.label,
                    "msa_ok": self.overall >= KMO_MIN,
                }
            ]
        )
        return pd.concat([self.items, tail], ignore_index=True)

    def fit_table(self) -> pd.DataFrame:
        """Columns ``statistic``, ``value``: the overall KMO."""
        return pd.DataFrame([{"statistic": "KMO", "value": self.overall}])


def kmo_from_corr(r: np.ndarray, names: Sequence[str]) -> KMOResult:
    """KMO from a correlation matrix (Kaiser, 1970; Kaiser & Rice, 1974).

    With the anti-image (partial) correlations q_ij = -P_ij / sqrt(P_ii P_jj), P = R^-1:
    KMO = sum_{i!=j} r_ij^2 / (sum_{i!=j} r_ij^2 + sum_{i!=j} q_ij^2), and MSA_i the same sums
    restricted to row i (as psych::KMO).
    """
    r = np.asarray(r, dtype=float)
    p = np.linalg.inv(r)
    d = np.sqrt(np.diag(p))
    q = -p / np.outer(d, d)
    r2 = r**2
    q2 = q**2
    np.fill_diagonal(r2, 0.0)
    np.fill_diagonal(q2, 0.0)
    overall = float(r2.sum() / (r2.sum() + q2.sum()))
    msa = r2.sum(axis=1) / (r2.sum(axis=1) + q2.sum(axis=1))
    tab = pd.DataFrame({"item": list(names), "msa": msa})
    tab["label"] = [_kaiser_label(v) for v in msa]
    tab["msa_ok"] = tab["msa"] >= KMO_MIN
    return KMOResult(overall=overall, label=_kaiser_label(overall), items=tab)


def kmo(
    items: pd.DataFrame, columns: Sequence[str] | None = None, *, missing: str = "error"
) -> KMOResult:
    """Kaiser-Meyer-Olkin measure of sampling adequacy, overall and per item (see
    :func:`kmo_from_corr`). ``columns`` defaults to every numeric column."""
    x = _items_frame(items, columns, missing)
    return kmo_from_corr(_corr_checked(x), list(x.columns))


@dataclass(frozen=True)
class BartlettResult:
    """Bartlett's test of sphericity (H0: the correlation matrix is the identity)."""

    chi2: float
    df: int
    p_value: float
    n: int

    @property
    def table(self) -> pd.DataFrame:
        """One row: test, chi2, df, p_value, n, reject_identity_05."""
        return pd.DataFrame(
            [
                {
                    "test": "Bartlett sphericity",
                    "chi2": self.chi2,
                    "df": self.df,
                    "p_value": self.p_value,
                    "n": self.n,
                    "reject_identity_05": self.p_value < 0.05,
                }
            ]
        )

    def fit_table(self) -> pd.DataFrame:
        """Columns ``statistic``, ``value``: chi2, df, p_value, n."""
        return pd.DataFrame([{"statistic": k, "value": float(v)} for k, v in
                             (("chi2", self.chi2), ("df", self.df), ("p_value", self.p_value),
                              ("n", self.n))])


def bartlett_from_corr(r: np.ndarray, n: int) -> BartlettResult:
    """Bartlett (1951): chi2 = -(n - 1 - (2p + 5)/6) ln|R|, df = p(p - 1)/2 (as
    psych::cortest.bartlett)."""
    r = np.asarray(r, dtype=float)
    p = r.shape[0]
    sign, logdet = np.linalg.slogdet(r)
    if sign <= 0:
        raise EstimationError("the correlation matrix is not positive definite")
    chi2 = -(n - 1 - (2 * p + 5) / 6.0) * logdet
    df = p * (p - 1) // 2
    return BartlettResult(chi2=float(chi2), df=int(df), p_value=float(stats.chi2.sf(chi2, df)), n=n)


def bartlett_sphericity(
    items: pd.DataFrame, columns: Sequence[str] | None = None, *, missing: str = "error"
) -> BartlettResult:
    """Bartlett's test of sphericity on the item correlation matrix (see
    :func:`bartlett_from_corr`)."""
    x = _items_frame(items, columns, missing)
    return bartlett_from_corr(_corr_checked(x), len(x))


# ----------------------------------------------------------------------------------------------
# EFA
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EFAResult:
    """Exploratory factor analysis.

    ``loadings``: item x factor (rotated) with ``communality`` and ``uniqueness`` columns;
    ``eigenvalues``: eigenvalues of the item correlation matrix with proportion / cumulative
    variance and the Kaiser flag (eigenvalue > 1); ``factor_corr``: factor correlations
    (identity for orthogonal rotations); ``kmo`` and ``bartlett``; ``converged`` (False when
    statsmodels warned that the ML fit did not converge); ``heywood`` (a uniqueness below 0.005
    or a communality above 1: an improper solution).
    """

    loadings: pd.DataFrame
    eigenvalues: pd.DataFrame
    factor_corr: pd.DataFrame
    kmo: KMOResult
    bartlett: BartlettResult
    method: str
    rotation: str | None
    converged: bool
    heywood: bool

    @property
    def table(self) -> pd.DataFrame:
        """The rotated loadings (item x factor, communality, uniqueness, primary factor)."""
        return self.loadings

    def fit_table(self) -> pd.DataFrame:
        """Columns ``statistic``, ``value``: factors, KMO, Bartlett chi2 and p, converged,
        Heywood case."""
        return pd.DataFrame([
            {"statistic": "factors", "value": float(self.factor_corr.shape[0])},
            {"statistic": "KMO", "value": self.kmo.overall},
            {"statistic": "Bartlett chi2", "value": self.bartlett.chi2},
            {"statistic": "Bartlett p_value", "value": self.bartlett.p_value},
            {"statistic": "converged", "value": float(self.converged)},
            {"statistic": "heywood", "value": float(self.heywood)},
        ])


ROTATIONS = ("varimax", "quartimax", "oblimin", "promax", None)


def varimax(loadings: np.ndarray, normalize: bool = True, eps: float = 1e-5,
            max_iter: int = 1000) -> tuple[np.ndarray, np.ndarray]:
    """Varimax rotation (Kaiser, 1958, Psychometrika 23(3)) exactly as R ``stats::varimax``.

    With ``normalize=True`` (R's default, "Kaiser normalisation") each row is divided by its
    length sqrt(communality) before rotating and multiplied back afterwards. Starting from the
    identity, each step takes B = X'(Z^3 - Z diag(1'Z^2)/p) for Z = XT and the new rotation
    T = UV' from the SVD B = UDV'; the iteration stops as soon as the sum of singular values d
    grows by less than the relative ``eps`` (d < d_previous (1 + eps)), R's rule with its
    default eps = 1e-5. (Iterating to full convergence moves ECSI loadings by up to 8e-4, so
    the stopping rule is part of matching R.) Returns the rotated loadings and T.
    """
    x = np.asarray(loadings, dtype=float)
    nc = x.shape[1]
    if nc < 2:
        return x.copy(), np.eye(nc)
    sc = np.sqrt((x**2).sum(axis=1)) if normalize else np.ones(x.shape[0])
    x = x / sc[:, None]
    p = x.shape[0]
    tt = np.eye(nc)
    d = 0.0
    for _ in range(max_iter):
        z = x @ tt
        b = x.T @ (z**3 - z * (z**2).sum(axis=0)[None, :] / p)
        u, sv, vt = np.linalg.svd(b)
        tt = u @ vt
        d_past, d = d, float(sv.sum())
        if d < d_past * (1 + eps):
            break
    return (x @ tt) * sc[:, None], tt


def promax(loadings: np.ndarray, m: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """Promax rotation (Hendrickson & White, 1964, BJSP 17(1)) exactly as R ``stats::promax``.

    V = varimax(loadings) (Kaiser-normalised, :func:`varimax`); target Q = V |V|^(m-1);
    U = (V'V)^-1 V'Q with columns rescaled so that diag((U'U)^-1) = 1; pattern loadings VU and
    factor correlations (U'U)^-1 (R: ``solve(rotmat)`` times its transpose, the varimax part
    being orthogonal). Returns (pattern loadings, factor correlations).
    """
    v, _ = varimax(loadings)
    if v.shape[1] < 2:
        return v, np.eye(v.shape[1])
    q = v * np.abs(v) ** (m - 1)
    u, *_ = np.linalg.lstsq(v, q, rcond=None)
    d = np.diag(np.linalg.inv(u.T @ u))
    u = u @ np.diag(np.sqrt(d))
    return v @ u, np.linalg.inv(u.T @ u)


def sort_loadings(lam: np.ndarray, phi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Order factors by decreasing sum of squared loadings and make every column sum positive,
    as R ``factanal`` does before printing (its internal ``sortLoadings``); the factor
    correlations follow the same permutation and sign changes."""
    order = np.argsort(-(lam**2).sum(axis=0), kind="stable")
    lam, phi = lam[:, order], phi[np.ix_(order, order)]
    signs = np.where(lam.sum(axis=0) < 0, -1.0, 1.0)
    return lam * signs, phi * np.outer(signs, signs) + 0.0  # + 0.0 turns -0.0 into 0.0


def efa(
    items: pd.DataFrame,
    n_factors: int,
    *,
    columns: Sequence[str] | None = None,
    method: str = "pa",
    rotation: str | None = "varimax",
    missing: str = "error",
) -> EFAResult:
    """EFA with ``statsmodels.multivariate.factor.Factor``.

    ``method``: "pa" (iterated principal axis, squared multiple correlations as starting
    communalities) or "ml" (maximum likelihood). ``rotation``:

    * "varimax": :func:`varimax`, R ``stats::varimax`` with its defaults (Kaiser row
      normalisation, eps = 1e-5); statsmodels' varimax is unnormalised and differed from
      R ``factanal`` by up to 0.034 on ECSI;
    * "promax": :func:`promax`, R ``stats::promax`` (m = 4, on the normalised varimax);
    * "quartimax" (orthogonal) and "oblimin" (direct quartimin, oblique) by statsmodels'
      ``FactorResults.rotate``; oblimin factor correlations are T'T (statsmodels' convention
      for its oblique GPA rotation matrix T);
    * None: unrotated.

    Factors are then ordered by decreasing sum of squared loadings and signed so that each
    column sums to a positive number (R ``factanal``'s ``sortLoadings``).
    """
    from statsmodels.multivariate.factor import Factor

    if method not in ("pa", "ml"):
        raise ParameterError(f"method must be 'pa' or 'ml', got {method!r}")
    x = _items_frame(items, columns, missing)
    p = x.shape[1]
    if isinstance(n_factors, bool) or not isinstance(n_factors, (int, np.integer)):
        raise ParameterError(f"n_factors must be an integer, got {n_factors!r}")
    if not 1 <= n_factors < p:
        raise ParameterError(
            f"n_factors must be between 1 and {p - 1} for {p} items, got {n_factors}"
        )
    if rotation not in ROTATIONS:
        raise ParameterError(f"rotation must be one of {list(ROTATIONS)}, got {rotation!r}")
    r = _corr_checked(x)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            res = Factor(x.to_numpy(), n_factor=int(n_factors), method=method).fit()
        converged = not any(issubclass(w.category, ConvergenceWarning) for w in caught)
        lam0 = np.asarray(res.loadings_no_rot, dtype=float).reshape(p, n_factors)
        phi = np.eye(n_factors)
        if rotation is None or n_factors == 1:
            lam = lam0
        elif rotation == "promax":
            lam, phi = promax(lam0)
        elif rotation == "varimax":
            lam, _ = varimax(lam0)
        else:
            res.rotate(rotation)
            lam = np.asarray(res.loadings, dtype=float).reshape(p, n_factors)
            if rotation == "oblimin":
                t = np.asarray(res.rotation_matrix, dtype=float)
                phi = t.T @ t  # statsmodels' convention for oblique GPA rotations
    except np.linalg.LinAlgError as exc:
        raise EstimationError(f"EFA failed: {exc}") from exc
    lam, phi = sort_loadings(lam, phi)
    names = [f"factor_{j + 1}" for j in range(n_factors)]
    communality = np.asarray(res.communality, dtype=float)
    uniqueness = np.asarray(res.uniqueness, dtype=float)
    tab = pd.DataFrame(lam, columns=names)
    tab.insert(0, "item", list(x.columns))
    tab["communality"] = communality
    tab["uniqueness"] = uniqueness
    tab["primary_factor"] = [names[j] for j in np.argmax(np.abs(lam), axis=1)]
    ev = np.sort(np.linalg.eigvalsh(r))[::-1]
    eig = pd.DataFrame(
        {
            "component": np.arange(1, p + 1),
            "eigenvalue": ev,
            "proportion": ev / p,
            "cumulative": np.cumsum(ev) / p,
        }
    )
    eig["kaiser_retain"] = eig["eigenvalue"] > 1.0
    return EFAResult(
        loadings=tab,
        eigenvalues=eig,
        factor_corr=pd.DataFrame(phi, index=names, columns=names),
        kmo=kmo_from_corr(r, list(x.columns)),
        bartlett=bartlett_from_corr(r, len(x)),
        method=method,
        rotation=rotation,
        converged=converged,
        heywood=bool((uniqueness < 0.005).any() or (communality > 1.0).any()),
    )

