"""Timing of the measurement-quality functions on the ECSI satisfaction data (250 x 27).

Run: ``python benchmarks/bench_measurement.py`` — prints one line per measured figure.
"""

from __future__ import annotations

from _timing import best_time

from crm_research.data import datasets
from crm_research.sem.measurement import confirmatory as C
from crm_research.sem.measurement import factor as F
from crm_research.sem.measurement import reliability as M
from crm_research.sem.measurement import validity as V
from crm_research.sem.spec import load_model

BLOCKS = load_model("ecsi_satisfaction").blocks  # the built-in ECSI model's blocks


def _time(label: str, fn, repeat: int = 3) -> None:
    best = best_time(fn, repeat)
    print(f"{label}: {best:.3f} s (best of {repeat})")


def main() -> None:
    data = datasets.load("ecsi_satisfaction")
    items = [i for v in BLOCKS.values() for i in v]
    _time("reliability table (6 constructs, PC1 loadings)", lambda: M.reliability(data, BLOCKS))
    _time("HTMT matrix", lambda: V.htmt(data, BLOCKS))
    _time(
        "HTMT bootstrap CI, 1000 resamples",
        lambda: V.htmt_table(data, BLOCKS, n_boot=1000, seed=1),
    )
    _time(
        "HTMT2 bootstrap CI, 1000 resamples",
        lambda: V.htmt_table(data, BLOCKS, kind="htmt2", n_boot=1000, seed=1),
    )
    _time(
        "alpha bootstrap CI, 1000 resamples x 6 constructs",
        lambda: M.cronbach_alpha(data, BLOCKS, ci_method="bootstrap", n_boot=1000, seed=1),
    )
    _time(
        "EFA 6 factors (pa, promax) + KMO + Bartlett",
        lambda: F.efa(data, 6, columns=items, rotation="promax"),
    )
    C.cfa(data, BLOCKS)  # warm-up: first call imports semopy
    _time("CFA 6 factors / 27 items (semopy ML + fit indices)", lambda: C.cfa(data, BLOCKS))


if __name__ == "__main__":
    main()
