"""Timing of the causal estimators on the bundled data (prints one line per figure).

Run: ``python benchmarks/bench_causal.py``. Each figure is the best of ``REPEAT`` runs.
"""

from __future__ import annotations

from _timing import best_time

from crm_research.causal import estimators as causal
from crm_research.causal.experiments import arm_subgroup_effects, two_arm_frame
from crm_research.causal.method_check import method_check
from crm_research.causal.observational import (
    TELCO_COVARIATES,
    TELCO_TREATMENTS,
    observational_effects,
)
from crm_research.data.datasets import load

REPEAT = 3
COVARIATES = ["recency", "history", "mens", "womens", "zip_code", "newbie", "channel"]


def main() -> None:
    hill = load("hillstrom_email")
    two = two_arm_frame(hill, "segment", "No E-Mail", "Mens E-Mail")
    n = len(two)
    for method in causal.METHODS:
        s = best_time(lambda m=method: causal.estimate_effect(two, "spend", "treated", m,
                                                             COVARIATES))
        print(f"{method} (hillstrom, n={n}, {len(COVARIATES)} covariates): {s:.3f} s")
    s = best_time(lambda: arm_subgroup_effects(
        hill, "segment", "No E-Mail", ["visit", "conversion", "spend"],
        ["channel", "newbie", "history_segment"]))
    print(f"arm_subgroup_effects (2 arms x 3 outcomes x 12 subgroups): {s:.3f} s")
    s = best_time(lambda: method_check(two, ["visit"], "treated", COVARIATES,
                                     {"recency": -1.0, "history": 1.0, "newbie": -1.0},
                                     strength=0.7, keep_fraction=0.2, n_draws=10), repeats=1)
    print(f"method_check per draw (1 outcome, naive+ipw+aipw): {s / 10:.3f} s")
    telco = load("telco_churn")
    s = best_time(lambda: observational_effects(telco, "churn", TELCO_TREATMENTS,
                                              TELCO_COVARIATES))
    print(f"observational_effects (telco, {len(TELCO_TREATMENTS)} treatments): {s:.3f} s")


if __name__ == "__main__":
    main()
