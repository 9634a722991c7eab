"""Speed of the customer-value engine (run: python benchmarks/bench_clv.py).

Targets (issue 4): summary of a 2-million-row transaction log <= 1.5 s; BG/NBD fit on
1 million simulated customers <= 2 s with the collapsed weighted fit, <= 8 s without.
Issue 17: the Pareto/NBD fit on the 150,000-customer "hard" synthetic log (no dropout, ~1 million
rows; the study's default two-thirds calibration split) took more than 6 minutes and ended
ABNORMAL; it must end within its budget with a clear status.
Each figure is the best of ``REPEATS`` runs (wall clock), printed one per line.
"""

from __future__ import annotations

import numpy as np
from _timing import best_of

from crm_research.clv.bgnbd import fit_bgnbd
from crm_research.clv.pareto_nbd import fit_pareto_nbd
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

    hard = simulate_transaction_log(150_000, seed=1)  # no dropout: the Pareto/NBD's hard case
    lo, hi = hard["date"].min(), hard["date"].max()
    s = summarize_transactions(hard, calibration_end=lo + (hi - lo) * 2 / 3, observation_end=hi)
    x, tx, T = (s[c].to_numpy() for c in ("frequency", "recency", "T"))
    t, pn = best_of(lambda: fit_pareto_nbd(x, tx, T, raise_on_failure=False), repeats=1)
    print(f"Pareto/NBD fit, hard log {len(hard):,} rows / {len(s):,} customers "
          f"({pn.n_rows:,} distinct rows): {t:.2f} s, status {pn.status!r} "
          f"({pn.n_iter} iterations; was > 6 min, ABNORMAL)")
    sim = simulate_bgnbd(truth, 150_000, T=ages[:150_000], seed=2, resolution=1 / 7)
    x, tx, T = (sim[c].to_numpy() for c in ("frequency", "recency", "T"))
    t, pn = best_of(lambda: fit_pareto_nbd(x, tx, T, raise_on_failure=False), repeats=1)
    print(f"Pareto/NBD fit, 150,000 BG/NBD-simulated customers ({pn.n_rows:,} distinct rows): "
          f"{t:.2f} s, status {pn.status!r} ({pn.n_iter} iterations)")


if __name__ == "__main__":
    main()
