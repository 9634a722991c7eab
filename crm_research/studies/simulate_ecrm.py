"""Customer survey of eCRM, relationship quality and loyalty with known truth (ParsModir case).

Source text 004 (L40-L48; inventory items 004-12, 004-13) reports that deploying eCRM at
ParsModir raised customer satisfaction, empathy, (legal) commitment and trust, "each with a
different coefficient", and hence loyalty - without coefficients, sample or method. The
model (``crm_research/sem/models/ecrm_loyalty.yaml``) turns that into ECRM -> SAT, EMP, COM,
TRU -> LOY plus a direct ECRM -> LOY path; this module draws customers from it.

Where the default values come from
----------------------------------
Nothing numeric is given by the source, so **every number is an illustrative assumption**
(the ``parameters_table`` says so row by row), chosen so that the case's qualitative claims
hold in the truth and the study has something to find:

* ``DEFAULT_PATHS``: eCRM -> satisfaction .55, -> trust .45, -> empathy .35, -> commitment .25
  (four different coefficients, as the case says); satisfaction -> loyalty .30, trust .25,
  commitment .15, empathy .10, direct eCRM -> loyalty .05 (R2: loyalty .30, satisfaction
  .30, trust .20, empathy .12, commitment .06).
* ``DEFAULT_LOADINGS`` .70-.88 (a typical published measurement model).
* Likert 1-7 via ``DEFAULT_THRESHOLDS`` (as the firm survey of ``simulate_survey``) and
  construct intercepts ``DEFAULT_MEANS`` (empathy rated lowest, satisfaction highest) so that
  the importance-performance map has different performance levels.
* Response quality: MCAR missingness (``missing_rate``) and an acquiescent response style
  (``acquiescence_sd``; Baumgartner & Steenkamp 2001), as in ``simulate_survey``.
* Customer covariates: ``channel`` (share of contacts online: "mostly online" with
  probability .5, "mixed" .3, "mostly offline" .2) and ``tenure_years`` (1 + Poisson(3)),
  drawn independently of the latent variables (descriptive only).

The algebra (standardised latent variables, error variances 1 - R2, indicators
lambda eta + e) is :mod:`crm_research.sem.simulate`'s.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import pandas as pd

from crm_research._checks import check_seed
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

MODEL_NAME = "ecrm_loyalty"
COMPONENTS = ("SAT", "EMP", "COM", "TRU")
DEFAULT_PATHS: dict[tuple[str, str], float] = {
    ("ECRM", "SAT"): 0.55, ("ECRM", "EMP"): 0.35, ("ECRM", "COM"): 0.25, ("ECRM", "TRU"): 0.45,
    ("SAT", "LOY"): 0.30, ("EMP", "LOY"): 0.10, ("COM", "LOY"): 0.15, ("TRU", "LOY"): 0.25,
    ("ECRM", "LOY"): 0.05,
}
DEFAULT_LOADINGS: dict[str, list[float]] = {
    "ECRM": [0.80, 0.74, 0.78, 0.72, 0.76],
    "SAT": [0.88, 0.85, 0.80],
    "EMP": [0.78, 0.80, 0.75, 0.70],
    "COM": [0.82, 0.76, 0.74],
    "TRU": [0.86, 0.83, 0.80],
    "LOY": [0.84, 0.82, 0.78, 0.72],
}
DEFAULT_THRESHOLDS = (-1.5, -0.9, -0.3, 0.3, 0.9, 1.5)
DEFAULT_MEANS: dict[str, float] = {"ECRM": 0.2, "SAT": 0.4, "EMP": -0.3, "COM": 0.0,
                                   "TRU": 0.1, "LOY": 0.2}
CHANNELS = ("mostly online", "mixed", "mostly offline")
CHANNEL_PROBS = (0.5, 0.3, 0.2)
ILLUSTRATIVE = "illustrative assumption (simulate_ecrm module docstring)"


@dataclass(frozen=True)
class EcrmTruth:
    """True parameters of the simulated customer survey (``model``: the sem TrueModel)."""

    model: TrueModel
    thresholds: tuple[float, ...]
    latent_means: dict[str, float]
    missing_rate: float
    acquiescence_sd: float

    @property
    def spec(self) -> ModelSpec:
        return self.model.spec

    def true_paths(self) -> dict[tuple[str, str], float]:
        return self.model.path_dict

    def mediation_truth(self) -> pd.DataFrame:
        """True indirect effect of ECRM on LOY through each component, the direct and total
        effect, and each share of the total (columns: route, effect, share)."""
        p = self.true_paths()
        rows: list[dict[str, Any]] = [
            {"route": f"ECRM -> {c} -> LOY", "effect": p[("ECRM", c)] * p[(c, "LOY")]}
            for c in COMPONENTS]
        rows.append({"route": "ECRM -> LOY (direct)", "effect": p[("ECRM", "LOY")]})
        total = sum(r["effect"] for r in rows)
        out = pd.DataFrame(rows)
        out["share"] = out["effect"] / total
        return out

    def parameters_table(self) -> pd.DataFrame:
        """Every true parameter with its value and source (columns parameter, value,
        source)."""
        rows = [{"parameter": f"path {r.source} -> {r.target}", "value": f"{r.value:.3f}",
                 "source": ILLUSTRATIVE} for r in self.model.paths.itertuples()]
        rows += [{"parameter": f"loading {r.item} ({r.construct})", "value": f"{r.loading:.2f}",
                  "source": ILLUSTRATIVE} for r in self.model.loadings.itertuples()]
        rows += [{"parameter": f"R2 of {k}", "value": f"{v:.3f}",
                  "source": "implied by the paths"} for k, v in self.model.r_squared.items()]
        rows += [
            {"parameter": "Likert thresholds (1-7)",
             "value": ", ".join(f"{v:g}" for v in self.thresholds), "source": ILLUSTRATIVE},
            {"parameter": "construct intercepts",
             "value": ", ".join(f"{k} {v:+.1f}" for k, v in self.latent_means.items()),
             "source": ILLUSTRATIVE},
            {"parameter": "item answers missing (MCAR)", "value": f"{self.missing_rate:.3f}",
             "source": "study parameter"},
            {"parameter": "acquiescence sd", "value": f"{self.acquiescence_sd:.2f}",
             "source": "study parameter"},
            {"parameter": "structure: eCRM -> satisfaction, empathy, commitment, trust -> "
                          "loyalty, each with a different coefficient",
             "value": "ECRM -> SAT, EMP, COM, TRU -> LOY (+ direct ECRM -> LOY)",
             "source": "source text 004, L40-L48 (ParsModir case); direct path: project "
                       "design choice"},
        ]
        return pd.DataFrame(rows, columns=["parameter", "value", "source"])


@dataclass(frozen=True)
class EcrmSimulation:
    """Simulated customers: ``data`` (covariates + items), ``latent`` scores, ``truth``."""

    data: pd.DataFrame
    latent: pd.DataFrame
    truth: EcrmTruth


def ecrm_model() -> ModelSpec:
    """The study's model spec (crm_research/sem/models/ecrm_loyalty.yaml)."""
    return load_model(MODEL_NAME)


def ecrm_truth(paths: Mapping[tuple[str, str], float] | None = None,
               path_multiplier: float = 1.0,
               loadings: Mapping[str, Sequence[float]] | float | None = None,
               thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
               latent_means: Mapping[str, float] | None = None,
               missing_rate: float = 0.0, acquiescence_sd: float = 0.0) -> EcrmTruth:
    """True parameters (defaults and sources: module docstring). ``paths`` overrides some or
    all default paths; every path is then multiplied by ``path_multiplier``."""
    spec = ecrm_model()
    base = dict(DEFAULT_PATHS)
    for key, value in (paths or {}).items():
        pair = tuple(key)  # YAML gives lists; a key found in base is a (source, target) pair
        if pair not in base:
            raise ParameterError(f"paths: {key} is not a path of model {spec.name!r}")
        base[cast(tuple[str, str], pair)] = float(value)
    if not (np.isfinite(path_multiplier) and path_multiplier >= 0):
        raise ParameterError(f"path_multiplier={path_multiplier!r}; expected a number >= 0")
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
    tm = true_model(spec, {k: v * path_multiplier for k, v in base.items()},
                    DEFAULT_LOADINGS if loadings is None else loadings, 0.0)
    return EcrmTruth(model=tm, thresholds=thr,
                     latent_means={c: float(means.get(c, 0.0)) for c in spec.construct_names},
                     missing_rate=float(missing_rate), acquiescence_sd=float(acquiescence_sd))


def simulate_customers(truth: EcrmTruth, n: int = 300, seed: int | None = 0,
                       likert: bool = True) -> EcrmSimulation:
    """Draw ``n`` customers from ``truth``. Columns: customer_id, channel (category),
    tenure_years, then the items (1-7, NaN where missing; continuous if ``likert=False``)."""
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 4:
        raise ParameterError(f"n={n!r}; expected an integer >= 4")
    seed = check_seed(seed)
    rng = np.random.default_rng(seed)
    spec = truth.spec
    eta = draw_latent(truth.model, int(n), rng)
    x = draw_indicators(truth.model, eta, rng)
    names = spec.construct_names
    blk = [names.index(c) for c in truth.model.loadings["construct"]]
    x = x + np.array([truth.latent_means[c] for c in names])[blk]
    if truth.acquiescence_sd > 0:
        x = x + truth.acquiescence_sd * rng.standard_normal((int(n), 1))
    if likert:
        x = to_likert(x, truth.thresholds).astype(float)
    if truth.missing_rate > 0:
        x[rng.random(x.shape) < truth.missing_rate] = np.nan
    chan = rng.choice(len(CHANNELS), size=int(n), p=CHANNEL_PROBS)
    cov = pd.DataFrame({
        "customer_id": np.arange(1, int(n) + 1),
        "channel": pd.Categorical([CHANNELS[i] for i in chan], categories=list(CHANNELS)),
        "tenure_years": 1 + rng.poisson(3.0, size=int(n)),
    })
    items = pd.DataFrame(x, columns=spec.all_items)
    return EcrmSimulation(data=pd.concat([cov, items], axis=1),
                          latent=pd.DataFrame(eta, columns=names), truth=truth)
