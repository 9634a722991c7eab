"""Firm survey of CRM dimensions and business performance with known truth.

Design after Sin, Tse & Yim (2005), "CRM: conceptualization and scale development", European
Journal of Marketing 39(11/12), 1264-1290: four CRM dimensions - key-customer focus (KCF), CRM
organisation (CRMO), knowledge management (KM), technology-based CRM (TECH) - measured by
reflective Likert items (1-7) answered by one key informant per firm; outcomes marketing
performance (MKT) and financial performance (FIN); study 2 of the paper surveyed 215 Hong Kong
financial firms (hence the default ``n_firms``). Model: ``crm_research/sem/models/
crm_success_factors.yaml`` (dimensions → MKT → FIN plus direct dimension → FIN paths).

Where the default values come from
----------------------------------
What the project could verify in the sources available to it (the paper's abstract): the four
dimensions, the three studies and their sizes (n = 150, 215, 276). The paper's standardised
loadings and structural coefficients could NOT be verified, so every number below is an
**illustrative assumption**, chosen to look like a typical published PLS/CB-SEM result in
this literature (loadings .70-.88, moderately correlated CRM dimensions; with the defaults
R2 of marketing performance is .43 in B2C and .67 in B2B firms, R2 of financial performance
.38 and .40):

* ``DEFAULT_PATHS``: KM → MKT .30, KCF → MKT .20 (B2C; +.20 in B2B firms, see below),
  CRMO → MKT .20, TECH → MKT .15; MKT → FIN .50; direct KM → FIN .10 and TECH → FIN .10,
  KCF → FIN and CRMO → FIN 0 (so the power table also shows the rejection rate of true
  null paths, i.e. the test size).
* ``DEFAULT_B2B_SHIFT``: KCF → MKT is .20 higher in B2B firms (key-account focus is assumed
  to matter more with few, large business customers). This gives the B2B-vs-B2C multi-group
  analysis a true difference to find; the other paths are equal in both groups.
* ``DEFAULT_EXO_CORRELATION`` .45 among the four dimensions (facets of one CRM orientation).
* ``DEFAULT_LOADINGS``: .70-.88 per item (codebook order).
* ``DEFAULT_THRESHOLDS`` for the 1-7 categories at -1.5, -0.9, -0.3, 0.3, 0.9, 1.5 of the
  continuous response (a symmetric, roughly uniform-looking use of the scale), with
  construct intercepts ``DEFAULT_MEANS`` (e.g. technology rated higher than CRM organisation)
  so that the dimensions' performance levels differ in the importance-performance map.
* Firm type B2B with probability .4; size small/medium/large .5/.3/.2 with employees drawn
  log-uniformly inside the band; industry financial services .25, manufacturing .25,
  retail .2, IT & telecom .15, other .15. Firm covariates are independent of the latent
  variables except for the B2B path shift.
* Response quality: ``missing_rate`` - each item answer is missing completely at random
  (MCAR) with this probability; ``acquiescence_sd`` - an acquiescent response style
  (Baumgartner & Steenkamp 2001, J. Marketing Research 38(2), 143-156): each informant adds
  a_i ~ N(0, acquiescence_sd^2) to every continuous response before it is categorised, which
  inflates all inter-item correlations (common-method variance).

Truth of the pooled sample: each group's latent variables have unit variance (group-specific
error variances, see :mod:`crm_research.sem.simulate`), so the pooled latent correlation matrix is
the mixture pi R_B2B + (1 - pi) R_B2C; the pooled true path coefficients are the population
regression coefficients of each endogenous construct on its predecessors in that matrix.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from crm_research.errors import ParameterError
from crm_research.sem.simulate import (
    TrueModel,
    check_thresholds,
    draw_indicators,
    draw_latent,
    to_likert,
    true_model,
)
from crm_research.sem.spec import ModelSpec, load_model

MODEL_NAME = "crm_success_factors"
DIMENSIONS = ("KCF", "CRMO", "KM", "TECH")
OUTCOMES = ("MKT", "FIN")

DEFAULT_PATHS: dict[tuple[str, str], float] = {
    ("KCF", "MKT"): 0.20, ("CRMO", "MKT"): 0.20, ("KM", "MKT"): 0.30, ("TECH", "MKT"): 0.15,
    ("KCF", "FIN"): 0.00, ("CRMO", "FIN"): 0.00, ("KM", "FIN"): 0.10, ("TECH", "FIN"): 0.10,
    ("MKT", "FIN"): 0.50,
}
DEFAULT_B2B_SHIFT: dict[tuple[str, str], float] = {("KCF", "MKT"): 0.20}
DEFAULT_EXO_CORRELATION = 0.45
DEFAULT_LOADINGS: dict[str, list[float]] = {
    "KCF": [0.78, 0.72, 0.80, 0.75, 0.70],
    "CRMO": [0.80, 0.76, 0.74, 0.70],
    "KM": [0.82, 0.79, 0.77, 0.73, 0.71],
    "TECH": [0.85, 0.80, 0.76, 0.72],
    "MKT": [0.84, 0.80, 0.78, 0.75],
    "FIN": [0.88, 0.85, 0.80],
}
DEFAULT_THRESHOLDS = (-1.5, -0.9, -0.3, 0.3, 0.9, 1.5)
DEFAULT_MEANS: dict[str, float] = {"KCF": 0.3, "CRMO": -0.2, "KM": 0.0, "TECH": 0.4,
                                   "MKT": 0.1, "FIN": 0.0}
FIRM_TYPES = ("B2B", "B2C")
SIZES = ("small", "medium", "large")
SIZE_PROBS = (0.5, 0.3, 0.2)
SIZE_BANDS = ((5, 49), (50, 249), (250, 5000))
INDUSTRIES = ("financial services", "manufacturing", "retail", "IT & telecom", "other")
INDUSTRY_PROBS = (0.25, 0.25, 0.20, 0.15, 0.15)


@dataclass(frozen=True)
class SurveyTruth:
    """True parameters of a simulated firm survey.

    ``paths``: source, target, b2c, b2b, pooled (pooled = population regression coefficients
    in the B2B/B2C mixture); ``by_group``: the TrueModel of each firm type;
    ``latent_correlation``: pooled latent correlation matrix; plus every knob used.
    """

    spec: ModelSpec
    paths: pd.DataFrame
    loadings: pd.DataFrame
    latent_correlation: pd.DataFrame
    by_group: dict[str, TrueModel]
    b2b_share: float
    thresholds: tuple[float, ...]
    latent_means: dict[str, float]
    missing_rate: float
    acquiescence_sd: float
    settings: dict = field(default_factory=dict)

    def parameters_table(self) -> pd.DataFrame:
        """Every true parameter of the design with where its value comes from (columns:
        parameter, value, source)."""
        ill = "illustrative assumption (simulate_survey module docstring)"
        rows = []
        for r in self.paths.itertuples():
            rows.append({"parameter": f"path {r.source} -> {r.target} (B2C; B2B; pooled)",
                         "value": f"{r.b2c:.3f}; {r.b2b:.3f}; {r.pooled:.3f}", "source": ill})
        for r in self.loadings.itertuples():
            rows.append({"parameter": f"loading {r.item} ({r.construct})",
                         "value": f"{r.loading:.2f}", "source": ill})
        rows += [
            {"parameter": "correlation among the four CRM dimensions",
             "value": f"{self.settings.get('exo_correlation', float('nan')):.2f}",
             "source": ill},
            {"parameter": "Likert thresholds (1-7)",
             "value": ", ".join(f"{v:g}" for v in self.thresholds), "source": ill},
            {"parameter": "construct intercepts",
             "value": ", ".join(f"{k} {v:+.1f}" for k, v in self.latent_means.items()),
             "source": ill},
            {"parameter": "share of B2B firms", "value": f"{self.b2b_share:.2f}", "source": ill},
            {"parameter": "item answers missing (MCAR)", "value": f"{self.missing_rate:.3f}",
             "source": "study parameter"},
            {"parameter": "acquiescence sd", "value": f"{self.acquiescence_sd:.2f}",
             "source": "study parameter"},
            {"parameter": "four CRM dimensions; outcomes MKT and FIN",
             "value": "KCF, CRMO, KM, TECH -> MKT -> FIN",
             "source": "Sin, Tse & Yim (2005), abstract (dimensions); direct paths: "
                       "project design choice"},
        ]
        for r in self.by_group["B2C"].r_squared.items():
            rows.append({"parameter": f"R2 of {r[0]} (B2C; B2B)",
                         "value": f"{r[1]:.3f}; {self.by_group['B2B'].r_squared[r[0]]:.3f}",
                         "source": "implied by the paths"})
        return pd.DataFrame(rows, columns=["parameter", "value", "source"])

    def true_paths(self, group: str = "pooled") -> dict[tuple[str, str], float]:
        """{(source, target): value} for 'pooled', 'b2b' or 'b2c'."""
        return {(s, t): float(v) for s, t, v in
                zip(self.paths["source"], self.paths["target"], self.paths[group], strict=True)}


@dataclass(frozen=True)
class SurveySimulation:
    """Simulated firms: ``data`` (items + firm columns), ``latent`` scores, ``truth``."""

    data: pd.DataFrame
    latent: pd.DataFrame
    truth: SurveyTruth


def survey_model() -> ModelSpec:
    """The study's model spec (crm_research/sem/models/crm_success_factors.yaml)."""
    return load_model(MODEL_NAME)


def _pooled_paths(spec: ModelSpec, r: np.ndarray) -> dict[tuple[str, str], float]:
    names = spec.construct_names
    pos = {n: i for i, n in enumerate(names)}
    out = {}
    for t in spec.endogenous:
        preds = spec.predecessors(t)
        idx = [pos[p] for p in preds]
        b = np.linalg.solve(r[np.ix_(idx, idx)], r[idx, pos[t]])
        out.update({(p, t): float(v) for p, v in zip(preds, b, strict=True)})
    return out


def survey_truth(paths: Mapping[tuple[str, str], float] | None = None,
                 b2b_shift: Mapping[tuple[str, str], float] | None = None,
                 path_multiplier: float = 1.0,
                 loadings: Mapping[str, Sequence[float]] | float | None = None,
                 exo_correlation: float = DEFAULT_EXO_CORRELATION, b2b_share: float = 0.4,
                 thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
                 latent_means: Mapping[str, float] | None = None,
                 missing_rate: float = 0.0, acquiescence_sd: float = 0.0) -> SurveyTruth:
    """The true parameters of the firm survey (defaults and their sources: module docstring).

    B2C paths = ``paths`` x ``path_multiplier``; B2B paths = B2C paths + ``b2b_shift``.
    """
    spec = survey_model()
    base = dict(DEFAULT_PATHS if paths is None else paths)
    shift = dict(DEFAULT_B2B_SHIFT if b2b_shift is None else b2b_shift)
    if not np.isfinite(path_multiplier) or path_multiplier < 0:
        raise ParameterError(f"path_multiplier={path_multiplier!r}; expected a number >= 0")
    if not 0 < b2b_share < 1:
        raise ParameterError(f"b2b_share={b2b_share!r}; expected a share strictly between 0 "
                             "and 1")
    if not 0 <= missing_rate < 1:
        raise ParameterError(f"missing_rate={missing_rate!r}; expected a share in [0, 1)")
    if not (np.isfinite(acquiescence_sd) and acquiescence_sd >= 0):
        raise ParameterError(f"acquiescence_sd={acquiescence_sd!r}; expected a number >= 0")
    thr = tuple(float(v) for v in check_thresholds(thresholds))
    if len(thr) != 6:
        raise ParameterError(f"thresholds: a 1-7 scale needs 6 thresholds, got {len(thr)}")
    means = dict(DEFAULT_MEANS if latent_means is None else latent_means)
    unknown = [c for c in means if c not in spec.construct_names]
    if unknown:
        raise ParameterError(f"latent_means: unknown construct(s) {unknown}")
    for key in shift:
        if tuple(key) not in spec.paths:
            raise ParameterError(f"b2b_shift: {key} is not a path of model {spec.name!r}")
    b2c = {k: float(v) * path_multiplier for k, v in base.items()}
    b2b = {k: v + float(shift.get(k, 0.0)) for k, v in b2c.items()}
    lo = DEFAULT_LOADINGS if loadings is None else loadings
    groups = {"B2C": true_model(spec, b2c, lo, exo_correlation),
              "B2B": true_model(spec, b2b, lo, exo_correlation)}
    r = b2b_share * groups["B2B"].latent_correlation.to_numpy() \
        + (1 - b2b_share) * groups["B2C"].latent_correlation.to_numpy()
    pooled = _pooled_paths(spec, r)
    edges = [(s, t) for s, t in spec.paths]
    table = pd.DataFrame({"source": [s for s, _ in edges], "target": [t for _, t in edges],
                          "b2c": [groups["B2C"].path_dict[e] for e in edges],
                          "b2b": [groups["B2B"].path_dict[e] for e in edges],
                          "pooled": [round(pooled[e], 12) for e in edges]})
    return SurveyTruth(
        spec=spec, paths=table, loadings=groups["B2C"].loadings,
        latent_correlation=pd.DataFrame(r, index=spec.construct_names,
                                        columns=spec.construct_names),
        by_group=groups, b2b_share=float(b2b_share), thresholds=thr,
        latent_means={c: float(means.get(c, 0.0)) for c in spec.construct_names},
        missing_rate=float(missing_rate), acquiescence_sd=float(acquiescence_sd),
        settings={"path_multiplier": float(path_multiplier),
                  "exo_correlation": float(exo_correlation)},
    )


def simulate_firm_survey(truth: SurveyTruth, n_firms: int = 215, seed: int | None = 0,
                         likert: bool = True) -> SurveySimulation:
    """Draw ``n_firms`` firms from ``truth`` (see ``survey_truth`` and the module docstring).

    Columns: firm_id, firm_type (category B2B/B2C), size (category), employees, industry
    (category), then the items (float 1-7, NaN where missing; continuous when
    ``likert=False``, for checks that need the untransformed responses).
    """
    if not isinstance(n_firms, (int, np.integer)) or isinstance(n_firms, bool) or n_firms < 4:
        raise ParameterError(f"n_firms={n_firms!r}; expected an integer >= 4")
    n = int(n_firms)
    rng = np.random.default_rng(seed)
    spec = truth.spec
    is_b2b = rng.random(n) < truth.b2b_share
    eta = np.zeros((n, len(spec.construct_names)))
    x = np.zeros((n, len(spec.all_items)))
    for label, mask in (("B2B", is_b2b), ("B2C", ~is_b2b)):
        k = int(mask.sum())
        if k:
            eta_g = draw_latent(truth.by_group[label], k, rng)
            eta[mask] = eta_g
            x[mask] = draw_indicators(truth.by_group[label], eta_g, rng)
    names = spec.construct_names
    blk = [names.index(c) for c in truth.loadings["construct"]]
    mu = np.array([truth.latent_means[c] for c in names])
    x = x + mu[blk]
    if truth.acquiescence_sd > 0:
        x = x + truth.acquiescence_sd * rng.standard_normal((n, 1))
    if likert:
        x = to_likert(x, truth.thresholds).astype(float)
    if truth.missing_rate > 0:
        x[rng.random(x.shape) < truth.missing_rate] = np.nan
    size_idx = rng.choice(len(SIZES), size=n, p=SIZE_PROBS)
    lo = np.log([SIZE_BANDS[i][0] for i in size_idx])
    hi = np.log([SIZE_BANDS[i][1] + 1 for i in size_idx])
    employees = np.minimum(np.floor(np.exp(lo + (hi - lo) * rng.random(n))),
                           [SIZE_BANDS[i][1] for i in size_idx]).astype(np.int64)
    industry = rng.choice(len(INDUSTRIES), size=n, p=INDUSTRY_PROBS)
    firms = pd.DataFrame({
        "firm_id": np.arange(1, n + 1),
        "firm_type": pd.Categorical(np.where(is_b2b, "B2B", "B2C"), categories=list(FIRM_TYPES)),
        "size": pd.Categorical([SIZES[i] for i in size_idx], categories=list(SIZES),
                               ordered=True),
        "employees": employees,
        "industry": pd.Categorical([INDUSTRIES[i] for i in industry],
                                   categories=list(INDUSTRIES)),
    })
    items = pd.DataFrame(x, columns=spec.all_items)
    return SurveySimulation(data=pd.concat([firms, items], axis=1),
                            latent=pd.DataFrame(eta, columns=names), truth=truth)


def simulate_crm_survey(n_firms: int = 215, seed: int | None = 0, **knobs) -> SurveySimulation:
    """Convenience: ``simulate_firm_survey(survey_truth(**knobs), n_firms, seed)``."""
    return simulate_firm_survey(survey_truth(**knobs), n_firms=n_firms, seed=seed)
