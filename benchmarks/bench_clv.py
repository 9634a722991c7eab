"""Speed of the customer-value engine (run: python benchmarks/bench_clv.py).

Targets (issue 4): summary of a 2-million-row transaction log <= 1.5 s; BG/NBD fit on
1 million simulated customers <= 2 s with the collapsed weighted fit, <= 8 s without.
Each figure is the best of ``REPEATS`` runs (wall clock), printed one per line.
"""

from __future__ import annotations

import numpy as np
from _timing import best_of

from crm_research.clv.bgnbd import fit_bgnbd
from crm_research.clv.simulate import simulate_bgnbd, simulate_transaction_log
from crm_research.data.transactions import summarize_transactions

REPEATS = 3


def main() -> None:
    log = simulate_transaction_log(330_000, seed=1, days=730, rate_per_day=0.01)
    log = log.iloc[:2_000_000].reset_index(drop=True)
    t, s = best_of(lambda: summarize_transactions(log, time_unit="W"))
    print(f"summary of {len(log):,} transaction rows ({len(s):,} customers): {t:.3f} s "
          "(target <= 1.5 s)")

    truth = {"r": 0.25, "alpha": 4.0, "a": 0.8, "b": 2.5}
    n = 1_000_000
    ages = 27 + np.random.default_rng(0).integers(0, 84, n) / 7  # CDNOW-like: 12-week cohort
    sim = simulate_bgnbd(truth, n, T=ages, seed=1, resolution=1 / 7)  # times in days
    x, tx, T = (sim[c].to_numpy() for c in ("frequency", "recency", "T"))
    t, fit = best_of(lambda: fit_bgnbd(x, tx, T, collapse=True))
    print(f"BG/NBD fit, {n:,} customers, collapsed ({fit.n_rows:,} distinct rows): {t:.3f} s "
          "(target <= 2 s)")
    t, fit2 = best_of(lambda: fit_bgnbd(x, tx, T, collapse=False), repeats=1)
    print(f"BG/NBD fit, {n:,} customers, not collapsed: {t:.3f} s (target <= 8 s)")
    est = ", ".join(f"{k}={v:.4f}" for k, v in fit.params.items())
    print(f"BG/NBD estimates (truth r=0.25, alpha=4, a=0.8, b=2.5): {est}; "
          f"max |collapsed - uncollapsed| = {np.max(np.abs(fit.params - fit2.params)):.2e}")


if __name__ == "__main__":
    main()
