"""Benchmark of consistent PLS (crm_research.sem.pls.plsc) and the ecrm_loyalty Monte Carlo.

Target: the PLSc bootstrap (PLS weights batched, then the correction) within 2x the PLS
bootstrap of the same model. Prints one line per figure.
Run: python benchmarks/bench_plsc.py
"""

from __future__ import annotations

from _timing import best_time

from crm_research.sem.pls import bootstrap_pls
from crm_research.sem.pls.plsc import bootstrap_plsc, estimate_plsc
from crm_research.studies.simulate_ecrm import ecrm_truth, simulate_customers


def main() -> None:
    truth = ecrm_truth(missing_rate=0.02)
    data = simulate_customers(truth, 300, seed=1).data
    spec = truth.spec
    t_fit = best_time(lambda: estimate_plsc(data, spec, missing="mean"), 5)
    print(f"single PLSc fit, ecrm_loyalty model, n=300: {t_fit * 1000:.1f} ms")
    t_pls = best_time(lambda: bootstrap_pls(data, spec, n_boot=2000, seed=1, missing="mean",
                                            jackknife=False), 2)
    print(f"PLS bootstrap 2000 resamples: {t_pls:.2f} s")
    t_c = best_time(lambda: bootstrap_plsc(data, spec, n_boot=2000, seed=1, missing="mean"), 2)
    print(f"PLSc bootstrap 2000 resamples: {t_c:.2f} s "
          f"(target <= 2x PLS: {'ok' if t_c <= 2 * t_pls else 'MISSED'})")


if __name__ == "__main__":
    main()
