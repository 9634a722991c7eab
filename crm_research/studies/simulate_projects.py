"""CRM implementation projects with a known logistic success model.

Story: a firm implements a CRM system. Whether the project succeeds (is judged a success by
the firm one year after go-live) depends on

* ``n_technologies`` - the number of technologies/modules integrated in the project (e.g.
  sales-force automation, marketing automation, contact centre, analytics, e-commerce, ERP
  link; 1-8): more integration = more complexity and risk;
* four change-management practices, each used or not (0/1): ``training`` of users,
  ``communication`` of the project's purpose, ``participation`` of future users in design,
  ``oversight`` by a senior steering committee;
* people-process-technology readiness (Chen & Popovich 2003, "Understanding customer
  relationship management (CRM): people, process and technology", Business Process
  Management Journal 9(5), 672-688): ``people_readiness``, ``process_readiness``,
  ``technology_readiness``, standardised scores (mean 0, sd 1).

The qualitative story follows the CRM-implementation literature (Rigby, Reichheld & Schefter
2002, "Avoid the four perils of CRM", Harvard Business Review 80(2); Chen & Popovich 2003;
Payne & Frow 2005, J. Marketing 69(4)); **every number is an illustrative assumption**, not an
estimate from a published data set:

    logit P(success) = b0 + b_tech (n_technologies - 3) + b_train training + b_comm communication
                       + b_part participation + b_over oversight + b_people people_readiness
                       + b_process process_readiness + b_techready technology_readiness

with the defaults in ``DEFAULT_COEFFICIENTS``: b0 = -1.2 gives a 23% chance of success for a
three-technology project with no change-management practice at average readiness, 73% with
all four practices; about 47% of all simulated projects succeed (Rigby, Reichheld & Schefter
2002 quote a Gartner Group estimate that 55% of all CRM projects do not produce results; their
"peril 3", assuming that more CRM technology is better, motivates the negative sign of
b_tech).
Practices are correlated: each is used with probability logistic(logit(rate) + 0.8 u) for a
firm-level "management quality" u ~ N(0, 1) (``practice_rates`` sets the marginal rates
approximately: the random effect pulls them slightly towards 0.5); people readiness is
0.3 u + noise (correlation .3 with u, about .1 with each practice), so an analysis that omits
the practices would be confounded. n_technologies is 1 + Binomial(7, 0.3) (mean 3.1).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import expit, logit

from crm_research.errors import ParameterError

PRACTICES = ("training", "communication", "participation", "oversight")
READINESS = ("people_readiness", "process_readiness", "technology_readiness")
TERMS = ("intercept", "n_technologies", *PRACTICES, *READINESS)
TECH_CENTRE = 3
DEFAULT_COEFFICIENTS: dict[str, float] = {
    "intercept": -1.2, "n_technologies": -0.25, "training": 0.6, "communication": 0.5,
    "participation": 0.7, "oversight": 0.4, "people_readiness": 0.5,
    "process_readiness": 0.4, "technology_readiness": 0.3,
}
DEFAULT_PRACTICE_RATES: dict[str, float] = {"training": 0.6, "communication": 0.5,
                                            "participation": 0.4, "oversight": 0.5}


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


@dataclass(frozen=True)
class ProjectSimulation:
    data: pd.DataFrame
    truth: ProjectTruth


def simulate_crm_projects(n_projects: int = 400, seed: int | None = 0,
                          coefficients: Mapping[str, float] | None = None,
                          practice_rates: Mapping[str, float] | None = None
                          ) -> ProjectSimulation:
    """Draw ``n_projects`` CRM projects (module docstring). Columns: project_id,
    n_technologies, the four practices (0/1), the three readiness scores, success (0/1) and
    p_success (the true probability)."""
    if not isinstance(n_projects, (int, np.integer)) or isinstance(n_projects, bool) \
            or n_projects < 10:
        raise ParameterError(f"n_projects={n_projects!r}; expected an integer >= 10")
    coef = dict(DEFAULT_COEFFICIENTS)
    for k, v in (coefficients or {}).items():
        if k not in coef:
            raise ParameterError(f"coefficients: unknown term {k!r}; expected one of {TERMS}")
        coef[k] = float(v)
    rates = dict(DEFAULT_PRACTICE_RATES)
    for k, v in (practice_rates or {}).items():
        if k not in rates:
            raise ParameterError(f"practice_rates: unknown practice {k!r}; expected one of "
                                 f"{PRACTICES}")
        if not 0 < float(v) < 1:
            raise ParameterError(f"practice_rates[{k!r}]={v!r}; expected a rate in (0, 1)")
        rates[k] = float(v)
    n = int(n_projects)
    rng = np.random.default_rng(seed)
    u = rng.standard_normal(n)
    cols: dict[str, np.ndarray] = {"project_id": np.arange(1, n + 1)}
    cols["n_technologies"] = 1 + rng.binomial(7, 0.3, size=n)
    for p in PRACTICES:
        cols[p] = (rng.random(n) < expit(logit(rates[p]) + 0.8 * u)).astype(np.int64)
    cols["people_readiness"] = 0.3 * u + np.sqrt(1 - 0.09) * rng.standard_normal(n)
    cols["process_readiness"] = rng.standard_normal(n)
    cols["technology_readiness"] = rng.standard_normal(n)
    frame = pd.DataFrame(cols)
    truth = ProjectTruth(coefficients=pd.Series(coef, name="true")[list(TERMS)],
                         practice_rates=rates, tech_centre=TECH_CENTRE)
    prob = truth.probability(frame)
    frame["success"] = (rng.random(n) < prob).astype(np.int64)
    frame["p_success"] = prob
    return ProjectSimulation(data=frame, truth=truth)
