"""Benchmark of the PLS engine: 5,000 bootstrap resamples of the ECSI satisfaction model.

Target (issue 3): at most 5 s on the project's 2-core machine. Prints one line per figure.
Run: python benchmarks/bench_pls.py
"""

from __future__ import annotations

from _timing import best_time

from crm_research.data import datasets
from crm_research.sem.pls import bootstrap_pls, estimate_pls


def main() -> None:
    df = datasets.load("ecsi_satisfaction")
    t_fit = best_time(lambda: estimate_pls(df, "ecsi_satisfaction", scheme="path"), 5)
    print(f"single fit, ECSI satisfaction, path scheme: {t_fit * 1000:.1f} ms")
    for n_jobs in (1, 2):
        t = best_time(lambda n_jobs=n_jobs: bootstrap_pls(
            df, "ecsi_satisfaction", n_boot=5000, seed=1, scheme="path", n_jobs=n_jobs,
            jackknife=False), 2)
        print(f"bootstrap 5000 resamples (percentile), n_jobs={n_jobs}: {t:.2f} s "
              f"(target <= 5 s: {'ok' if t <= 5 else 'MISSED'})")
    t = best_time(lambda: bootstrap_pls(df, "ecsi_satisfaction", n_boot=5000, seed=1,
                                       scheme="path", n_jobs=2, jackknife=True), 2)
    print(f"bootstrap 5000 resamples + jackknife for BCa (250 fits), n_jobs=2: {t:.2f} s")
    res = estimate_pls(df, "ecsi_satisfaction", scheme="path")
    t = best_time(lambda: res.quality(), 3)
    print(f"quality bundle (reliability, HTMT, Fornell-Larcker, cross-loadings, VIF): {t:.3f} s")
    t = best_time(lambda: res.quality(n_boot=1000, seed=1), 2)
    print(f"quality bundle with 1000 HTMT bootstrap resamples: {t:.2f} s")


if __name__ == "__main__":
    main()
