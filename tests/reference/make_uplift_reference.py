"""Regenerate ``uplift_sklift.csv``: scikit-uplift's metrics on small seeded data with ties.

Not run by the tests (scikit-uplift is not a project dependency). To rerun::

    pip install --target /tmp/sklift --no-deps scikit-uplift==0.5.1
    PYTHONPATH=/tmp/sklift .venv/bin/python tests/reference/make_uplift_reference.py

``tests/test_uplift.py`` rebuilds the same data from the seeds and compares
``qini_coefficient``, ``uplift_auc`` and ``uplift_at_k`` with these values.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from sklift.metrics import qini_auc_score, uplift_at_k, uplift_auc_score


def main() -> None:
    warnings.simplefilter("ignore")
    rows = []
    for seed in range(8):
        rng = np.random.default_rng(seed)
        n = 60 + 10 * seed
        y, t = rng.integers(0, 2, n), rng.integers(0, 2, n)
        s = np.round(rng.normal(size=n), 1)
        rows.append({"seed": seed, "n": n, "qini_auc_score": qini_auc_score(y, s, t),
                     "uplift_auc_score": uplift_auc_score(y, s, t),
                     "uplift_at_k_0_3": uplift_at_k(y, s, t, strategy="overall", k=0.3)})
    pd.DataFrame(rows).to_csv(Path(__file__).with_name("uplift_sklift.csv"), index=False,
                              float_format="%.12g")


if __name__ == "__main__":
    main()
