"""Data from a known reflective structural model (for parameter recovery and power studies).

``simulate_from_spec`` draws respondents from any main-effects model spec (see
:mod:`crm_research.sem.spec`) whose constructs are reflective (mode A), given standardised path
coefficients and standardised loadings. The firm-survey simulator of the CRM success-factors
study (:mod:`crm_research.studies.simulate_survey`) and the tests of the PLS engine build on it.

Algebra (linear recursive structural equation model with standardised latent variables;
Bollen 1989, "Structural Equations with Latent Variables", ch. 4 and 8):

* Latent variables eta are ordered so that sources come before targets (the spec's
  topological order). Exogenous latent variables are multivariate normal with unit variances
  and correlation matrix Phi (given).
* An endogenous latent variable is eta_j = sum_{i in P(j)} beta_ij eta_i + zeta_j with zeta_j
  independent of every eta that precedes j. Its variance is b' R_PP b + psi_j, where b holds the
  coefficients of its predecessors P(j) and R_PP their correlation matrix, so unit variance
  needs psi_j = 1 - b' R_PP b (which must be > 0: otherwise the coefficients are impossible
  for standardised variables and a ParameterError is raised). psi_j is 1 - R2_j.
* The implied correlation of eta_j with an earlier eta_k is Cov(eta_k, eta_j) =
  sum_{i in P(j)} beta_ij R[k, i] (zeta_j is independent of eta_k); filling R row by row in
  topological order gives the whole latent correlation matrix (for a recursive model this is
  R = (I - B')^-1 diag-block(Phi, Psi) (I - B')^-T).
* An indicator of construct j is x = lambda eta_j + epsilon with Var(epsilon) = 1 - lambda^2, so
  it has unit variance and Cor(x, eta_j) = lambda (|lambda| < 1). Indicators i of j and k of l
  (i != k) correlate lambda_i lambda_k R[j, l].
* Optionally the continuous x is cut into ordered categories 1..K+1 at K thresholds (a Likert
  item is 1 + the number of thresholds below x; the "latent response variable" formulation
  of ordinal items, Joreskog & Moustaki 2001, Multivariate Behavioral Research 36(3)).

PLS (a composite method) does not estimate the factor-model coefficients consistently: with a
finite number of indicators its paths are attenuated ("consistency at large", Wold 1982;
Dijkstra & Henseler 2015, MIS Quarterly 39(2)). ``population_pls`` therefore also computes the
PLS *estimand* of a simulated design - the PLS estimates on the population covariance matrix -
so that bias of the estimator and the composite-vs-factor gap can be told apart.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from crm_research.errors import ParameterError, SpecError
from crm_research.sem.spec import ModelSpec, load_model

PathValues = Mapping[tuple[str, str], float] | Mapping[str, float] | float


# ============================================================================================
# Parameters → implied moments
# ============================================================================================

def _as_spec(model: ModelSpec | str | Mapping[str, Any]) -> ModelSpec:
    spec = load_model(model)
    if spec.interactions:
        raise SpecError(f"model {spec.name!r}: the simulator supports main-effects models only; "
                        f"remove the interaction term(s) {spec.interaction_names}")
    modes_b = [c.name for c in spec.constructs if c.mode != "A"]
    if modes_b:
        raise SpecError(f"model {spec.name!r}: the simulator draws reflective (mode A) "
                        f"constructs only; construct(s) {modes_b} are mode B")
    return spec


def path_values(spec: ModelSpec, paths: PathValues) -> dict[tuple[str, str], float]:
    """Coefficient of every path of ``spec`` from ``paths``.

    ``paths``: one number for every path, or a mapping keyed by (source, target) tuples or by
    "SOURCE -> TARGET" strings. Every path of the spec must be given; an unknown path is an
    error (ParameterError naming it).
    """
    edges = [(s, t) for s, t in spec.paths]
    if isinstance(paths, (int, float, np.integer, np.floating)) and not isinstance(paths, bool):
        return {e: float(paths) for e in edges}
    if not isinstance(paths, Mapping):
        raise ParameterError(f"paths must be a number or a mapping (source, target) -> "
                             f"coefficient, got {type(paths).__name__}")
    out: dict[tuple[str, str], float] = {}
    for key, value in paths.items():
        if isinstance(key, str):
            parts = [p.strip() for p in key.split("->")]
            if len(parts) != 2:
                raise ParameterError(f"path key {key!r}: expected 'SOURCE -> TARGET'")
            key = (parts[0], parts[1])
        key = (str(key[0]), str(key[1]))
        if key not in edges:
            raise ParameterError(f"path {key[0]} -> {key[1]} is not a path of model "
                                 f"{spec.name!r} (paths: {[f'{s} -> {t}' for s, t in edges]})")
        try:
            out[key] = float(value)
        except (TypeError, ValueError) as exc:
            raise ParameterError(f"path {key[0]} -> {key[1]}: coefficient {value!r} is not a "
                                 "number") from exc
    missing = [f"{s} -> {t}" for s, t in edges if (s, t) not in out]
    if missing:
        raise ParameterError(f"no coefficient given for path(s) {missing} of model "
                             f"{spec.name!r}")
    return out


def loading_values(spec: ModelSpec, loadings: float | Mapping[str, Any]) -> dict[str, float]:
    """Standardised loading of every item: one number for all, or a mapping item -> loading,
    or construct -> number / list (one per item, in the spec's item order)."""
    items = spec.all_items
    out: dict[str, float] = {}
    if isinstance(loadings, (int, float, np.integer, np.floating)):
        out = {it: float(loadings) for it in items}
    elif isinstance(loadings, Mapping):
        for key, value in loadings.items():
            if key in spec.construct_names:
                its = spec.items_of(key)
                vals = list(value) if isinstance(value, (list, tuple, np.ndarray)) \
                    else [value] * len(its)
                if len(vals) != len(its):
                    raise ParameterError(f"loadings of construct {key!r}: {len(vals)} values "
                                         f"for {len(its)} items")
                out.update({it: float(v) for it, v in zip(its, vals, strict=True)})
            elif key in items:
                out[key] = float(value)
            else:
                raise ParameterError(f"loadings: {key!r} is neither a construct nor an item of "
                                     f"model {spec.name!r}")
    else:
        raise ParameterError(f"loadings must be a number or a mapping, got "
                             f"{type(loadings).__name__}")
    missing = [it for it in items if it not in out]
    if missing:
        raise ParameterError(f"no loading given for item(s) {missing}")
    bad = [it for it, v in out.items() if not (np.isfinite(v) and 0 < abs(v) < 1)]
    if bad:
        raise ParameterError(f"loading of item {bad[0]!r} is {out[bad[0]]}; a standardised "
                             "loading must lie strictly between -1 and 1 (and not be 0)")
    return {it: out[it] for it in items}


def exogenous_correlation(spec: ModelSpec, value: float | pd.DataFrame | np.ndarray
                          ) -> np.ndarray:
    """Correlation matrix Phi of the exogenous constructs (one number → equicorrelation)."""
    exo = spec.exogenous
    k = len(exo)
    if isinstance(value, pd.DataFrame):
        try:
            phi = value.loc[exo, exo].to_numpy(dtype=float)
        except KeyError as exc:
            raise ParameterError(f"exogenous correlation matrix must have rows and columns "
                                 f"{exo}") from exc
    elif np.ndim(value) == 0:
        phi = np.full((k, k), float(value))
        np.fill_diagonal(phi, 1.0)
    else:
        phi = np.asarray(value, dtype=float)
    if phi.shape != (k, k):
        raise ParameterError(f"exogenous correlation matrix must be {k} x {k} (constructs "
                             f"{exo}), got shape {phi.shape}")
    if not np.allclose(phi, phi.T) or not np.allclose(np.diag(phi), 1.0):
        raise ParameterError("exogenous correlation matrix must be symmetric with unit diagonal")
    if np.linalg.eigvalsh(phi).min() <= 1e-10:
        raise ParameterError("exogenous correlation matrix is not positive definite")
    return phi


def latent_moments(spec: ModelSpec, paths: Mapping[tuple[str, str], float], phi: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Implied latent correlation matrix R and structural error variances psi (module
    docstring): psi_j = 1 - b' R_PP b for endogenous j, 0 for exogenous constructs."""
    names = spec.construct_names
    pos = {n: i for i, n in enumerate(names)}
    exo = [pos[n] for n in spec.exogenous]
    m = len(names)
    r = np.eye(m)
    r[np.ix_(exo, exo)] = phi
    psi = np.zeros(m)
    for j, name in enumerate(names):
        preds = spec.predecessors(name)
        if not preds:
            continue
        p_idx = [pos[p] for p in preds]
        b = np.array([paths[(p, name)] for p in preds])
        r_pp = r[np.ix_(p_idx, p_idx)]
        explained = float(b @ r_pp @ b)
        psi[j] = 1.0 - explained
        if psi[j] <= 1e-8:
            given = ", ".join(f"{p}: {v:g}" for p, v in zip(preds, b, strict=True))
            raise ParameterError(f"paths into {name!r} ({given}) "
                                 f"explain {explained:.3f} of its variance; with standardised "
                                 "latent variables R2 must be below 1 - lower the coefficients")
        for k in range(j):
            r[k, j] = r[j, k] = float(r[k, p_idx] @ b)
    return r, psi


# ============================================================================================
# True model and simulated data
# ============================================================================================

@dataclass(frozen=True)
class TrueModel:
    """The parameters a data set was drawn from (all standardised).

    ``paths``: source, target, value; ``loadings``: construct, item, loading;
    ``latent_correlation``: constructs x constructs; ``error_variance``: construct -> psi
    (1 - R2, 0 for exogenous constructs); ``r_squared``: endogenous construct -> R2;
    ``indicator_correlation``: implied correlation matrix of the continuous indicators.
    """

    spec: ModelSpec
    paths: pd.DataFrame
    loadings: pd.DataFrame
    latent_correlation: pd.DataFrame
    error_variance: pd.Series
    r_squared: pd.Series
    indicator_correlation: pd.DataFrame

    @property
    def path_dict(self) -> dict[tuple[str, str], float]:
        return {(s, t): float(v) for s, t, v in
                zip(self.paths["source"], self.paths["target"], self.paths["value"], strict=True)}

    def total_effects(self) -> pd.DataFrame:
        """True total effects T = (I - B)^-1 - I as a long table source, target, total."""
        names = self.spec.construct_names
        pos = {n: i for i, n in enumerate(names)}
        b = np.zeros((len(names), len(names)))
        for (s, t), v in self.path_dict.items():
            b[pos[s], pos[t]] = v
        tot = np.linalg.inv(np.eye(len(names)) - b) - np.eye(len(names))
        rows = [{"source": names[i], "target": names[j], "total": tot[i, j]}
                for i in range(len(names)) for j in range(len(names)) if abs(tot[i, j]) > 0]
        return pd.DataFrame(rows, columns=["source", "target", "total"])


@dataclass(frozen=True)
class SimulatedData:
    """Simulated indicators (``data``), the latent scores that produced them and the truth."""

    data: pd.DataFrame
    latent: pd.DataFrame
    truth: TrueModel


def true_model(model: ModelSpec | str | Mapping[str, Any], paths: PathValues,
               loadings: float | Mapping[str, Any] = 0.8,
               exo_correlation: float | pd.DataFrame | np.ndarray = 0.3) -> TrueModel:
    """The true model of a spec with the given coefficients, loadings and exogenous
    correlations, with every implied moment (see the module docstring for the algebra)."""
    spec = _as_spec(model)
    pv = path_values(spec, paths)
    lv = loading_values(spec, loadings)
    phi = exogenous_correlation(spec, exo_correlation)
    r, psi = latent_moments(spec, pv, phi)
    names = spec.construct_names
    items = spec.all_items
    blk = np.array([names.index(c.name) for c in spec.constructs for _ in c.items])
    lam = np.array([lv[it] for it in items])
    sigma = np.outer(lam, lam) * r[np.ix_(blk, blk)]
    np.fill_diagonal(sigma, 1.0)
    endo = spec.endogenous
    return TrueModel(
        spec=spec,
        paths=pd.DataFrame([{"source": s, "target": t, "value": v} for (s, t), v in pv.items()],
                           columns=["source", "target", "value"]),
        loadings=pd.DataFrame({"construct": [names[b] for b in blk], "item": items,
                               "loading": lam}),
        latent_correlation=pd.DataFrame(r, index=names, columns=names),
        error_variance=pd.Series(psi, index=names, name="error_variance"),
        r_squared=pd.Series([1.0 - psi[names.index(n)] for n in endo], index=endo,
                            name="r2", dtype=float),
        indicator_correlation=pd.DataFrame(sigma, index=items, columns=items),
    )


def draw_latent(truth: TrueModel, n: int, rng: np.random.Generator) -> np.ndarray:
    """n draws of the standardised latent variables (n, constructs) of ``truth``."""
    spec = truth.spec
    names = spec.construct_names
    pos = {nm: i for i, nm in enumerate(names)}
    r = truth.latent_correlation.to_numpy()
    exo = [pos[nm] for nm in spec.exogenous]
    eta = np.zeros((n, len(names)))
    chol = np.linalg.cholesky(r[np.ix_(exo, exo)])
    eta[:, exo] = rng.standard_normal((n, len(exo))) @ chol.T
    pv = truth.path_dict
    psi = truth.error_variance.to_numpy()
    for j, name in enumerate(names):
        preds = spec.predecessors(name)
        if preds:
            eta[:, j] = sum(pv[(p, name)] * eta[:, pos[p]] for p in preds) \
                + np.sqrt(psi[j]) * rng.standard_normal(n)
    return eta


def draw_indicators(truth: TrueModel, eta: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Continuous standardised indicators x = lambda eta_j + epsilon (n, items)."""
    names = truth.spec.construct_names
    blk = np.array([names.index(c) for c in truth.loadings["construct"]])
    lam = truth.loadings["loading"].to_numpy()
    eps = rng.standard_normal((eta.shape[0], lam.size)) * np.sqrt(1.0 - lam**2)
    return eta[:, blk] * lam + eps


def check_thresholds(thresholds: Sequence[float]) -> np.ndarray:
    """Validated, strictly increasing finite thresholds (ParameterError otherwise)."""
    thr = np.asarray(thresholds, dtype=float)
    if thr.ndim != 1 or thr.size < 1:
        raise ParameterError(f"thresholds must be a non-empty list of numbers, got {thresholds!r}")
    if not np.isfinite(thr).all() or (np.diff(thr) <= 0).any():
        raise ParameterError(f"thresholds must be finite and strictly increasing, got "
                             f"{list(thr)}")
    return thr


def to_likert(x: np.ndarray, thresholds: Sequence[float], lowest: int = 1) -> np.ndarray:
    """Ordinal categories ``lowest`` .. ``lowest + K`` from continuous ``x`` and K thresholds:
    category = lowest + #{thresholds < x}."""
    thr = check_thresholds(thresholds)
    return lowest + (np.asarray(x, dtype=float)[..., None] > thr).sum(axis=-1)


def simulate_from_spec(model: ModelSpec | str | Mapping[str, Any], n: int,
                       paths: PathValues, loadings: float | Mapping[str, Any] = 0.8,
                       exo_correlation: float | pd.DataFrame | np.ndarray = 0.3,
                       thresholds: Sequence[float] | None = None, seed: int | None = 0
                       ) -> SimulatedData:
    """Draw ``n`` respondents from a reflective structural model (module docstring).

    Returns the indicators (continuous, or Likert categories 1..K+1 when ``thresholds`` are
    given), the latent scores and the TrueModel. Same arguments → same numbers.
    """
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 2:
        raise ParameterError(f"n={n!r}; expected an integer >= 2")
    truth = true_model(model, paths, loadings, exo_correlation)
    rng = np.random.default_rng(seed)
    eta = draw_latent(truth, int(n), rng)
    x = draw_indicators(truth, eta, rng)
    if thresholds is not None:
        x = to_likert(x, thresholds).astype(float)
    spec = truth.spec
    data = pd.DataFrame(x, columns=spec.all_items)
    latent = pd.DataFrame(eta, columns=spec.construct_names)
    return SimulatedData(data=data, latent=latent, truth=truth)


# ============================================================================================
# The PLS estimand of a design
# ============================================================================================

def data_with_covariance(sigma: np.ndarray | pd.DataFrame, n: int | None = None,
                         seed: int | None = 0) -> pd.DataFrame:
    """A data set whose (population, divisor n) covariance matrix equals ``sigma`` exactly.

    Z (n x p) standard normal is centred and orthonormalised (thin QR; the columns of Q stay
    orthogonal to the constant because Z was centred), then X = sqrt(n) Q L' with
    L L' = sigma (Cholesky), so X has zero means and X'X / n = L Q'Q L' = sigma.
    Estimators that depend on the data only through the covariance (PLS with scaled
    indicators) then return their population values.
    """
    cols = list(sigma.columns) if isinstance(sigma, pd.DataFrame) else None
    s = np.asarray(sigma, dtype=float)
    p = s.shape[0]
    n = int(n or max(4 * p, 50))
    if n <= p:
        raise ParameterError(f"n={n} must exceed the number of variables {p}")
    try:
        chol = np.linalg.cholesky(s)
    except np.linalg.LinAlgError as exc:
        raise ParameterError("covariance matrix is not positive definite") from exc
    z = np.random.default_rng(seed).standard_normal((n, p))
    z -= z.mean(axis=0)
    q, _ = np.linalg.qr(z)
    x = np.sqrt(n) * q @ chol.T
    return pd.DataFrame(x, columns=cols)


def pls_on_covariance(model: ModelSpec | str | Mapping[str, Any],
                      sigma: pd.DataFrame, scheme: str = "path"):
    """PLS estimates (scaled indicators) of ``model`` whose data have covariance ``sigma``
    (a DataFrame with the items as index and columns), via ``data_with_covariance``.
    Returns a PLSResult."""
    from crm_research.sem.pls import estimate_pls

    spec = load_model(model)
    missing = [it for it in spec.all_items if it not in sigma.columns]
    if missing:
        raise ParameterError(f"covariance matrix has no row/column for item(s) {missing}")
    s = sigma.loc[spec.all_items, spec.all_items]
    # continuous data with covariance sigma are not on the spec's answer scale
    return estimate_pls(data_with_covariance(s), spec.without_scale(), scheme=scheme)


def population_pls(truth: TrueModel, scheme: str = "path"):
    """PLS estimates on the population (implied) indicator covariance of ``truth``: the values
    PLS converges to as n grows (its estimand under this design). Returns a PLSResult."""
    return pls_on_covariance(truth.spec, truth.indicator_correlation, scheme=scheme)
