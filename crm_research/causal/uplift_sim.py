"""A randomised campaign with a known heterogeneous effect (CATE), to test uplift models.

Customers have two standard-normal covariates ``x1``, ``x2`` and a two-level ``group``
(``a``/``b``, half each). Treatment is a coin flip with probability ``treated_share``. For a
0/1 outcome (``kind="binary"``)::

    P(Y = 1 | x, T) = logistic(base + b2·x2 + T·(effect + slope·x1 - flip·[group = b]))

and the true individual effect is ``tau = P(Y = 1 | x, T = 1) - P(Y = 1 | x, T = 0)``; for a
continuous outcome (``kind="continuous"``) ``Y = base + b2·x2 + T·tau + N(0, noise²)`` with
``tau = effect + slope·x1 - flip·[group = b]``; ``b2`` is ``baseline_slope``. A large
``baseline_slope`` makes the customers most likely to respond differ from those most moved by
the treatment (response ≠ uplift). With ``flip > effect`` the group ``b``
customers are hurt by the campaign (the "sleeping dogs" of the uplift literature). The column
``tau`` carries the truth, so recovery of the CATE (correlation of predicted and true effect,
mean effect) can be tested.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crm_research._checks import check_seed
from crm_research.errors import ParameterError

__all__ = ["simulate_uplift"]


def _logistic(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def simulate_uplift(n: int = 20000, kind: str = "binary", base: float = -1.5,
                    effect: float = 0.3, slope: float = 0.6, flip: float = 0.0,
                    treated_share: float = 0.5, noise: float = 1.0,
                    baseline_slope: float = 0.5, seed: int = 0) -> pd.DataFrame:
    """Simulated experiment with columns x1, x2, group, treatment (0/1), y, tau (true CATE).

    See the module docstring for the model. Same arguments → same data.
    """
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 10:
        raise ParameterError(f"n must be an integer >= 10, got {n!r}")
    if kind not in ("binary", "continuous"):
        raise ParameterError(f"kind must be 'binary' or 'continuous', got {kind!r}")
    if not 0.0 < float(treated_share) < 1.0:
        raise ParameterError(f"treated_share must be in (0, 1), got {treated_share!r}")
    if not float(noise) >= 0.0:
        raise ParameterError(f"noise must be >= 0, got {noise!r}")
    rng = np.random.default_rng(check_seed(seed, allow_none=False))
    x1 = rng.standard_normal(n)
    x2 = rng.standard_normal(n)
    group_b = rng.random(n) < 0.5
    t = (rng.random(n) < treated_share).astype(int)
    lift = effect + slope * x1 - flip * group_b
    if kind == "binary":
        p0 = _logistic(base + baseline_slope * x2)
        p1 = _logistic(base + baseline_slope * x2 + lift)
        tau = p1 - p0
        y = (rng.random(n) < np.where(t == 1, p1, p0)).astype(int)
    else:
        tau = lift
        y = base + baseline_slope * x2 + t * tau + noise * rng.standard_normal(n)
    return pd.DataFrame({"x1": x1, "x2": x2,
                         "group": pd.Categorical(np.where(group_b, "b", "a"),
                                                 categories=["a", "b"]),
                         "treatment": t, "y": y, "tau": tau})
