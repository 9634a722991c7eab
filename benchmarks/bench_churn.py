"""Timing of the churn and survival engines on the bundled data (prints one line per figure).

Run: ``python benchmarks/bench_churn.py``. Each figure is the best of ``REPEAT`` runs, in
seconds, single-threaded cross-validation (``n_threads=1``, the default).
"""

from __future__ import annotations

from _timing import best_time

from crm_research import churn
from crm_research.data.datasets import load

REPEAT = 3
SEGMENTS = ["contract", "internet_service", "payment_method", "paperless_billing",
            "senior_citizen", "partner", "dependents"]
LOGIT = ["contract", "tenure", "monthly_charges", "internet_service", "payment_method",
         "paperless_billing", "senior_citizen", "partner", "dependents"]
COX = ["contract", "internet_service", "payment_method", "monthly_charges", "paperless_billing",
       "senior_citizen", "partner", "dependents"]
B2B = ["avg_ret_exp", "avg_ret_exp_sq", "industry", "revenue", "employees", "total_crossbuy",
       "total_freq", "total_freq_sq"]


def main() -> None:
    telco = load("telco_churn")
    b2b = load("smcrm_b2b_churn")
    figures = {
        "churn_rates telco 7 segments": lambda: churn.churn_rates(telco, "churn", SEGMENTS),
        "fit_logit telco 13 terms": lambda: churn.fit_logit(telco, "churn", LOGIT),
        "cross_validate logit telco 5 folds": lambda: churn.cross_validate_churn(
            telco, "churn", LOGIT, models="logit", n_folds=5, seed=1),
        "cross_validate gbm telco 5 folds": lambda: churn.cross_validate_churn(
            telco, "churn", LOGIT, models="gbm", n_folds=5, seed=1),
        "kaplan_meier telco by contract": lambda: churn.kaplan_meier(
            telco, "tenure", event="churn", group="contract"),
        "logrank telco by contract": lambda: churn.logrank(telco, "tenure", "contract",
                                                           event="churn"),
        "fit_cox telco 12 terms + PH test": lambda: churn.fit_cox(telco, "tenure", COX,
                                                                  event="churn"),
        "fit_cox b2b 8 terms + PH test": lambda: churn.fit_cox(b2b, "duration", B2B,
                                                               censor="censor"),
    }
    for name, fn in figures.items():
        print(f"{name}: {best_time(fn):.3f} s")


if __name__ == "__main__":
    main()
