"""CRM implementation projects with a known logistic success model, calibrated to the texts.

Story: a firm implements a CRM system. Whether the project succeeds (is judged a success by
the firm one year after go-live) depends on

* ``n_technologies`` - the number of technologies/modules integrated in the project (e.g.
  sales-force automation, marketing automation, contact centre, analytics, e-commerce, ERP
  link; 1-8): more integration = more complexity and risk (source text 002, L958-L969 and
  L1035-L1059: integration is the eCRM challenge);
* four change-management practices, each used or not (0/1) - the four dimensions of change
  management of source text 002 (L1075-L1104, inventory 002-59): ``training`` of users,
  ``communication`` of the project's purpose, ``participation`` of future users in design,
  ``oversight`` by business decision-makers;
* readiness of the four components of Leavitt's diamond (Leavitt 1965; source text 001, L313,
  inventory 001-87: structure, people, technology, process), the last three also the
  people-process-technology view of Chen & Popovich (2003, Business Process Management Journal
  9(5), 672-688): ``structure_readiness``, ``people_readiness``, ``process_readiness``,
  ``technology_readiness``, standardised scores (mean 0, sd 1). ``FRAMEWORKS`` maps every
  framework part to its simulator term.

Model and calibration
---------------------
    logit P(success) = b0 + b_tech (n_technologies - 3) + b_train training + b_comm communication
                       + b_part participation + b_over oversight + b_people people_readiness
                       + b_process process_readiness + b_techready technology_readiness
                       + b_structure structure_readiness

Source text 002 (L1049-L1059, inventory 002-57) states that a project with one eCRM
technology succeeds about 70% of the time and one integrating more than three technologies
under 40%. ``b0`` and ``b_tech`` are **calibrated** to those two statements: they solve
mean P(success | 1 technology) = 0.70 and mean P(success | 4-8 technologies) = 0.35 (a
value under the text's 40%; project design choice) over the simulated population of projects
(``calibrate_technology_terms``; the defaults are its solution rounded to two decimals, and a
test checks the rounded values still give 0.70 and < 0.40). The other coefficients are
**illustrative assumptions** (the practices and readiness raise success; Rigby, Reichheld &
Schefter 2002, "Avoid the four perils of CRM", Harvard Business Review 80(2), motivate the
negative technology slope: "peril 3", more CRM technology is not better). With the defaults
about 49% of all simulated projects succeed.

Practices are correlated: each is used with probability logistic(logit(rate) + 0.8 u) for a
firm-level "management quality" u ~ N(0, 1) (``practice_rates`` sets the marginal rates
approximately); people readiness is 0.3 u + noise (correlation .3 with u), so an analysis
that omits the practices would be confounded; process, technology and structure readiness are
independent N(0, 1). n_technologies is 1 + Binomial(7, 0.3) (8% of projects have one
technology, 35% more than three).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize
from scipy.special import expit, logit

from crm_research._checks import check_seed
from crm_research._lazy import lazy_module
from crm_research.errors import ParameterError

stats = lazy_module("scipy.stats")

PRACTICES = ("training", "communication", "participation", "oversight")
READINESS = ("people_readiness", "process_readiness", "technology_readiness",
             "structure_readiness")
TERMS = ("intercept", "n_technologies", *PRACTICES, *READINESS)
TECH_CENTRE = 3
TECH_TRIALS, TECH_P = 7, 0.3
SOURCE_002 = "source text 002, L1049-L1059 (inventory 002-57)"
TARGET_ONE = 0.70        # source text 002: one eCRM technology succeeds about 70% of the time
TARGET_MANY = 0.35       # more than three technologies: "under 40%" (0.35: project choice)
MANY = 4                 # "more than three" = 4 or more technologies
DEFAULT_COEFFICIENTS: dict[str, float] = {
    "intercept": -1.10, "n_technologies": -0.53, "training": 0.6, "communication": 0.5,
    "participation": 0.7, "oversight": 0.4, "people_readiness": 0.5,
    "process_readiness": 0.4, "technology_readiness": 0.3, "structure_readiness": 0.4,
}
DEFAULT_PRACTICE_RATES: dict[str, float] = {"training": 0.6, "communication": 0.5,
                                            "participation": 0.4, "oversight": 0.5}
ILLUSTRATIVE = "illustrative assumption (simulate_projects module docstring)"
CALIBRATED = (f"calibrated: mean success 70% with one technology, 35% (< 40%) with more than "
              f"three - {SOURCE_002}")

#: Which simulator term stands for which part of each success framework of the texts.
FRAMEWORKS = pd.DataFrame([
    ("Leavitt's diamond", "structure", "structure_readiness",
     "source text 001, L313 (001-87); Leavitt (1965)"),
    ("Leavitt's diamond", "people", "people_readiness", "source text 001, L313 (001-87)"),
    ("Leavitt's diamond", "technology", "technology_readiness, n_technologies",
     "source text 001, L313 (001-87)"),
    ("Leavitt's diamond", "process", "process_readiness", "source text 001, L313 (001-87)"),
    ("people-process-technology", "people", "people_readiness", "Chen & Popovich (2003)"),
    ("people-process-technology", "process", "process_readiness", "Chen & Popovich (2003)"),
    ("people-process-technology", "technology", "technology_readiness",
     "Chen & Popovich (2003)"),
    ("change management (four dimensions)", "training", "training",
     "source text 002, L1075-L1104 (002-59)"),
    ("change management (four dimensions)", "communication", "communication",
     "source text 002, L1075-L1104 (002-59)"),
    ("change management (four dimensions)", "participation", "participation",
     "source text 002, L1075-L1104 (002-59)"),
    ("change management (four dimensions)", "oversight", "oversight",
     "source text 002, L1075-L1104 (002-59)"),
    ("eCRM integration challenge", "technologies integrated", "n_technologies",
     f"source text 002, L958-L969 (002-52); {SOURCE_002}"),
    ("Sin, Tse & Yim (2005) CRM dimensions", "key-customer focus",
     "KCF (firm-survey model, simulate_survey)", "source text 001, L311-L367 (001-86)"),
    ("Sin, Tse & Yim (2005) CRM dimensions", "CRM organisation",
     "CRMO (firm-survey model); its structure facet ~ structure_readiness",
     "source text 001, L311-L367 (001-86)"),
    ("Sin, Tse & Yim (2005) CRM dimensions", "knowledge management",
     "KM (firm-survey model)", "source text 001, L311-L367 (001-86)"),
    ("Sin, Tse & Yim (2005) CRM dimensions", "technology-based CRM",
     "TECH (firm-survey model) ~ technology_readiness", "source text 001, L311-L367 (001-86)"),
], columns=["framework", "part", "simulator_term", "source"])


@dataclass(frozen=True)
class ProjectTruth:
    """True coefficients (logit scale; n_technologies centred at ``tech_centre``)."""

    coefficients: pd.Series
    practice_rates: dict[str, float]
    tech_centre: int

    def probability(self, frame: pd.DataFrame) -> np.ndarray:
        """True success probability of each row of ``frame`` (needs every term's column)."""
        b = self.coefficients
        eta = np.full(len(frame), b["intercept"])
        eta = eta + b["n_technologies"] * (frame["n_technologies"].to_numpy(float)
                                           - self.tech_centre)
        for term in (*PRACTICES, *READINESS):
            eta = eta + b[term] * frame[term].to_numpy(float)
        return expit(eta)

    def parameters_table(self) -> pd.DataFrame:
        """Every coefficient and rate with its source (columns parameter, value, source)."""
        rows = [{"parameter": f"logit coefficient: {t}", "value": f"{v:+.2f}",
                 "source": CALIBRATED if t in ("intercept", "n_technologies") else ILLUSTRATIVE}
                for t, v in self.coefficients.items()]
        rows += [{"parameter": f"practice rate: {p}", "value": f"{v:.2f}",
                  "source": ILLUSTRATIVE} for p, v in self.practice_rates.items()]
        rows.append({"parameter": "technologies per project",
                     "value": f"1 + Binomial({TECH_TRIALS}, {TECH_P})", "source": ILLUSTRATIVE})
        return pd.DataFrame(rows, columns=["parameter", "value", "source"])


@dataclass(frozen=True)
class ProjectSimulation:
    data: pd.DataFrame
    truth: ProjectTruth


def _coefficients(coefficients: Mapping[str, float] | None) -> dict[str, float]:
    coef = dict(DEFAULT_COEFFICIENTS)
    for k, v in (coefficients or {}).items():
        if k not in coef:
            raise ParameterError(f"coefficients: unknown term {k!r}; expected one of {TERMS}")
        coef[k] = float(v)
    return coef


def _rates(practice_rates: Mapping[str, float] | None) -> dict[str, float]:
    rates = dict(DEFAULT_PRACTICE_RATES)
    for k, v in (practice_rates or {}).items():
        if k not in rates:
            raise ParameterError(f"practice_rates: unknown practice {k!r}; expected one of "
                                 f"{PRACTICES}")
        if not 0 < float(v) < 1:
            raise ParameterError(f"practice_rates[{k!r}]={v!r}; expected a rate in (0, 1)")
        rates[k] = float(v)
    return rates


def _draw_projects(n: int, rng: np.random.Generator, rates: Mapping[str, float]
                   ) -> pd.DataFrame:
    u = rng.standard_normal(n)
    cols: dict[str, np.ndarray] = {"project_id": np.arange(1, n + 1)}
    cols["n_technologies"] = 1 + rng.binomial(TECH_TRIALS, TECH_P, size=n)
    for p in PRACTICES:
        cols[p] = (rng.random(n) < expit(logit(rates[p]) + 0.8 * u)).astype(np.int64)
    cols["people_readiness"] = 0.3 * u + np.sqrt(1 - 0.09) * rng.standard_normal(n)
    cols["process_readiness"] = rng.standard_normal(n)
    cols["technology_readiness"] = rng.standard_normal(n)
    cols["structure_readiness"] = rng.standard_normal(n)
    return pd.DataFrame(cols)


def simulate_crm_projects(n_projects: int = 400, seed: int | None = 0,
                          coefficients: Mapping[str, float] | None = None,
                          practice_rates: Mapping[str, float] | None = None
                          ) -> ProjectSimulation:
    """Draw ``n_projects`` CRM projects (module docstring). Columns: project_id,
    n_technologies, the four practices (0/1), the four readiness scores, success (0/1) and
    p_success (the true probability)."""
    if not isinstance(n_projects, (int, np.integer)) or isinstance(n_projects, bool) \
            or n_projects < 10:
        raise ParameterError(f"n_projects={n_projects!r}; expected an integer >= 10")
    coef, rates = _coefficients(coefficients), _rates(practice_rates)
    n = int(n_projects)
    rng = np.random.default_rng(check_seed(seed))
    frame = _draw_projects(n, rng, rates)
    truth = ProjectTruth(coefficients=pd.Series(coef, name="true")[list(TERMS)],
                         practice_rates=rates, tech_centre=TECH_CENTRE)
    prob = truth.probability(frame)
    frame["success"] = (rng.random(n) < prob).astype(np.int64)
    frame["p_success"] = prob
    return ProjectSimulation(data=frame, truth=truth)


# ============================================================================================
# Calibration to source text 002 and design checks
# ============================================================================================

def calibrate_technology_terms(target_one: float = TARGET_ONE, target_many: float = TARGET_MANY,
                               n: int = 400_000, seed: int | None = 0,
                               coefficients: Mapping[str, float] | None = None
                               ) -> dict[str, float]:
    """Intercept and n_technologies coefficient that give mean success ``target_one`` among
    one-technology projects and ``target_many`` among projects with more than three, the other
    coefficients fixed (``coefficients`` or the defaults), over ``n`` simulated projects
    (common random numbers: the population is drawn once; the two equations are solved by
    ``scipy.optimize.fsolve``)."""
    for name, v in (("target_one", target_one), ("target_many", target_many)):
        if not 0 < v < 1:
            raise ParameterError(f"{name}={v!r}; expected a rate in (0, 1)")
    coef = _coefficients(coefficients)
    frame = _draw_projects(int(n), np.random.default_rng(check_seed(seed)), DEFAULT_PRACTICE_RATES)
    rest = sum(coef[t] * frame[t].to_numpy(float) for t in (*PRACTICES, *READINESS))
    k = frame["n_technologies"].to_numpy()
    one, many = k == 1, k >= MANY

    def gap(x: np.ndarray) -> list[float]:
        p = expit(x[0] + x[1] * (k - TECH_CENTRE) + rest)
        return [p[one].mean() - target_one, p[many].mean() - target_many]

    sol, _, ok, msg = optimize.fsolve(gap, [coef["intercept"], coef["n_technologies"]],
                                      full_output=True)
    if ok != 1:  # pragma: no cover - the map is smooth and monotone
        raise ParameterError(f"calibration did not converge: {msg}")
    return {"intercept": float(sol[0]), "n_technologies": float(sol[1])}


def success_by_technologies(truth: ProjectTruth | None = None, n: int = 400_000,
                            seed: int | None = 0) -> pd.DataFrame:
    """Mean true success probability by number of integrated technologies over ``n``
    simulated projects (Monte-Carlo error below 0.005 per row with the default n), plus the
    rows "1" and "more than three (4-8)" with the source text's claims. Columns: technologies,
    share_of_projects, success_rate, text_claim, source."""
    coef = None if truth is None else dict(truth.coefficients)
    rates = None if truth is None else truth.practice_rates
    sim = simulate_crm_projects(int(n), seed=seed, coefficients=coef, practice_rates=rates)
    d = sim.data
    rows = []
    for k, g in d.groupby("n_technologies"):
        rows.append({"technologies": str(int(k)), "share_of_projects": len(g) / len(d),
                     "success_rate": float(g["p_success"].mean()),
                     "text_claim": "", "source": ""})
    many = d[d["n_technologies"] >= MANY]
    one = d[d["n_technologies"] == 1]
    rows.append({"technologies": "one (1)", "share_of_projects": len(one) / len(d),
                 "success_rate": float(one["p_success"].mean()), "text_claim": "about 70%",
                 "source": SOURCE_002})
    rows.append({"technologies": "more than three (4-8)", "share_of_projects": len(many) / len(d),
                 "success_rate": float(many["p_success"].mean()), "text_claim": "under 40%",
                 "source": SOURCE_002})
    rows.append({"technologies": "all projects", "share_of_projects": 1.0,
                 "success_rate": float(d["p_success"].mean()), "text_claim": "",
                 "source": ""})
    return pd.DataFrame(rows)


def technology_drop_power(sample_sizes: Sequence[int], n_sims: int = 200,
                          seed: int | None = 0, alpha: float = 0.05,
                          truth: ProjectTruth | None = None) -> pd.DataFrame:
    """Power to detect the lower success rate of projects with more than three technologies
    than of one-technology projects: for each number of projects N, ``n_sims`` samples of N
    simulated projects; one-sided two-proportion z test (pooled variance; Fleiss, Levin &
    Paik 2003, "Statistical Methods for Rates and Proportions", ch. 4) of
    success(1 technology) > success(4-8). A sample with no project in either group counts as
    no detection. Columns: n_projects, n_sims, power, power_mc_std_error, mean_one, mean_many."""
    sizes = [int(v) for v in sample_sizes]
    if not sizes or min(sizes) < 10:
        raise ParameterError(f"sample_sizes={list(sample_sizes)!r}; expected sizes >= 10")
    if not isinstance(n_sims, (int, np.integer)) or n_sims < 1:
        raise ParameterError(f"n_sims={n_sims!r}; expected a positive integer")
    if not 0 < alpha < 1:
        raise ParameterError(f"alpha={alpha!r}; expected a number in (0, 1)")
    coef = None if truth is None else dict(truth.coefficients)
    rates = None if truth is None else truth.practice_rates
    seeds = [int(s.generate_state(1)[0])
             for s in np.random.SeedSequence(check_seed(seed)).spawn(len(sizes) * n_sims)]
    z_crit = stats.norm.ppf(1 - alpha)
    rows = []
    for i, n in enumerate(sizes):
        hits, p1s, p2s = [], [], []
        for j in range(n_sims):
            d = simulate_crm_projects(n, seed=seeds[i * n_sims + j], coefficients=coef,
                                      practice_rates=rates).data
            y1 = d.loc[d["n_technologies"] == 1, "success"].to_numpy()
            y2 = d.loc[d["n_technologies"] >= MANY, "success"].to_numpy()
            if y1.size == 0 or y2.size == 0:
                hits.append(False)
                continue
            p1, p2 = y1.mean(), y2.mean()
            pool = (y1.sum() + y2.sum()) / (y1.size + y2.size)
            se = np.sqrt(pool * (1 - pool) * (1 / y1.size + 1 / y2.size))
            hits.append(bool(se > 0 and (p1 - p2) / se > z_crit))
            p1s.append(p1)
            p2s.append(p2)
        power = float(np.mean(hits))
        rows.append({"n_projects": n, "n_sims": n_sims, "power": power,
                     "power_mc_std_error": float(np.sqrt(power * (1 - power) / n_sims)),
                     "mean_one": float(np.mean(p1s)) if p1s else np.nan,
                     "mean_many": float(np.mean(p2s)) if p2s else np.nan})
    return pd.DataFrame(rows)
