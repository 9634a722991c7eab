"""Timing of the campaign-cycle engines and of the whole ``campaign_cycle`` study.

Run: ``python benchmarks/bench_campaign.py``. Engine figures are the best of ``REPEAT`` runs,
in seconds, single-threaded model fits; the study figure is one end-to-end run of the default
parameters (target: at most 60 s on the project's 2-core machine).
"""

from __future__ import annotations

import tempfile
import time

from _timing import best_time

from crm_research.causal.campaign import campaign_frame, power_of_test_cells
from crm_research.causal.rollout import rollout_table
from crm_research.causal.uplift import ALL_MODELS, cross_fit_uplift
from crm_research.causal.uplift_eval import qini_table
from crm_research.data.datasets import load
from crm_research.runner.pipeline import run_study

REPEAT = 3
COVARIATES = ["recency", "history", "mens", "womens", "zip_code", "newbie", "channel"]


def main() -> None:
    frame = campaign_frame(load("hillstrom_email"), "Mens")
    n = len(frame)
    for learner in ("linear", "gbm"):
        s = best_time(lambda lr=learner: cross_fit_uplift(
            frame, "conversion", "treatment", COVARIATES, ALL_MODELS, n_folds=5, seed=1,
            learner=lr), repeats=1 if learner == "gbm" else REPEAT)
        print(f"cross_fit_uplift {learner} (n={n}, 5 models x 5 folds): {s:.2f} s")
    fit = cross_fit_uplift(frame, "conversion", "treatment", COVARIATES, ALL_MODELS, n_folds=5,
                           seed=1)
    s = best_time(lambda: qini_table(fit.scores))
    print(f"qini_table (5 models, n={n}): {s:.2f} s")
    s = best_time(lambda: rollout_table(fit.scores, 30.0, 0.1, population=64000, budget=4000.0,
                                        n_boot=200, seed=1))
    print(f"rollout_table (5 models, 200 bootstrap resamples): {s:.2f} s")
    s = best_time(lambda: power_of_test_cells(frame, "conversion", 30.0, 0.1, n_sims=200,
                                              seed=1), repeats=1)
    print(f"power_of_test_cells (6 shares x 200 cells): {s:.2f} s")
    with tempfile.TemporaryDirectory() as out:
        t0 = time.perf_counter()
        run_study("campaign_cycle", out=out, update_index=False)
        print(f"campaign_cycle study, default parameters, end to end: "
              f"{time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
