"""Fitted customer-value models: the result protocol and parameter checks.

:class:`FitResult` is what every fit returns (``.table``: parameter, estimate, std_error,
ci_low, ci_high; ``.fit_table()``: statistic, value); each model subclasses it with its
prediction methods (:class:`TransactionFit` for the purchase-count models). The fitting
machinery is in :mod:`crm_research.clv.core`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import pandas as pd
from scipy.special import ndtri

from crm_research._checks import require_columns
from crm_research.errors import ParameterError

#: Fit statuses (``FitResult.status``); only ``"converged"`` has ``converged=True``.
STATUSES = ("converged", "boundary", "iteration limit", "time limit", "not converged",
            "given")


@dataclass
class FitResult:
    """A fitted customer-value model (result protocol: :attr:`table`, :meth:`fit_table`).

    ``params`` and ``std_errors`` are indexed by parameter name (original scale);
    ``log_likelihood`` is the unpenalised maximum; ``n`` the number of customers (sum of
    weights); ``n_rows`` the rows seen by the optimiser (fewer when collapsed). ``status`` is
    one of :data:`STATUSES`: ``"boundary"`` means a parameter ended on the bound of the search
    box (the likelihood keeps rising towards a degenerate limit of the model, e.g. no dropout);
    ``"iteration limit"`` / ``"time limit"`` mean the budget ran out first. Confidence
    intervals are Wald intervals on the log scale (the scale of the fit; they stay positive):
    ``estimate * exp(+-z * std_error / estimate)`` at level :attr:`level`.
    """

    model: str
    params: pd.Series
    std_errors: pd.Series
    log_likelihood: float
    n: float
    n_rows: int
    converged: bool
    n_iter: int
    message: str
    status: str = "converged"
    l2: float = 0.0
    level: float = 0.95
    max_gradient: float = float("nan")
    seconds: float = float("nan")
    at_bound: tuple[str, ...] = ()
    covariance: pd.DataFrame = field(default_factory=pd.DataFrame)

    #: parameter names and display name of the model (set by each model's result class)
    NAMES: ClassVar[list[str]] = []
    MODEL: ClassVar[str] = ""

    @classmethod
    def from_params(cls, params) -> FitResult:
        """A result holding given parameter values (status ``"given"``, nothing fitted): to
        predict at published or hypothetical values with the model's methods."""
        if not cls.NAMES:
            raise ParameterError(f"{cls.__name__} has no model; use a model's result class")
        theta = check_params(params, cls.NAMES, cls.MODEL)
        nan = pd.Series(np.nan, index=cls.NAMES, name="std_error")
        return cls(model=cls.MODEL, params=pd.Series(theta, index=cls.NAMES, name="estimate"),
                   std_errors=nan, log_likelihood=float("nan"), n=0.0, n_rows=0,
                   converged=False, n_iter=0, message="parameters given, not estimated",
                   status="given")

    @property
    def table(self) -> pd.DataFrame:
        """``parameter, estimate, std_error, ci_low, ci_high`` (log-scale Wald intervals)."""
        est = self.params.to_numpy(dtype=float)
        se = self.std_errors.reindex(self.params.index).to_numpy(dtype=float)
        z = float(ndtri(0.5 + self.level / 2))
        with np.errstate(divide="ignore", invalid="ignore"):
            half = z * se / est
        return pd.DataFrame({"parameter": list(self.params.index), "estimate": est,
                             "std_error": se, "ci_low": est * np.exp(-half),
                             "ci_high": est * np.exp(half)})

    def fit_table(self) -> pd.DataFrame:
        """``statistic, value``: model, status, converged, log-likelihood, AIC, BIC, customers,
        rows fitted, parameters, iterations, seconds, max |gradient|, l2, level, message."""
        k = len(self.params)
        aic = 2 * k - 2 * self.log_likelihood
        bic = k * np.log(max(self.n, 1.0)) - 2 * self.log_likelihood
        rows = [("model", self.model), ("status", self.status), ("converged", self.converged),
                ("log_likelihood", self.log_likelihood), ("AIC", aic), ("BIC", bic),
                ("customers", self.n), ("rows_fitted", self.n_rows), ("parameters", k),
                ("iterations", self.n_iter), ("seconds", self.seconds),
                ("max_gradient", self.max_gradient), ("at_bound", ", ".join(self.at_bound)),
                ("l2", self.l2), ("level", self.level), ("message", self.message)]
        return pd.DataFrame({"statistic": [r[0] for r in rows],
                             "value": pd.Series([r[1] for r in rows], dtype=object)})


class TransactionFit(FitResult):
    """A fitted purchase-count model (BG/NBD, Pareto/NBD): predictions through its methods.

    ``summary`` arguments are per-customer frames with ``frequency``, ``recency`` and ``T``
    (as from :func:`crm_research.data.transactions.summarize_transactions`).
    """

    def expected_purchases(self, t) -> np.ndarray:
        """E[X(t)]: expected repeat purchases of a new customer in (0, t]."""
        raise NotImplementedError

    def conditional_expected_purchases(self, t, summary: pd.DataFrame) -> np.ndarray:
        """E[Y(t) | x, t_x, T]: expected purchases in (T, T + t] of each customer."""
        raise NotImplementedError

    def probability_alive(self, summary: pd.DataFrame) -> np.ndarray:
        """P(alive | x, t_x, T) of each customer."""
        raise NotImplementedError


def rfm_columns(summary: pd.DataFrame, model: str) -> tuple[pd.Series, pd.Series, pd.Series]:
    """The ``frequency``, ``recency``, ``T`` columns of a customer summary (DataError if absent)."""
    require_columns(summary, ["frequency", "recency", "T"], f"{model} customer summary")
    return summary["frequency"], summary["recency"], summary["T"]


def check_params(params: pd.Series | dict | FitResult, names: list[str], model: str) -> np.ndarray:
    """Parameter vector (in ``names`` order) from a FitResult / Series / dict; all > 0."""
    if isinstance(params, FitResult):
        params = params.params
    try:
        vals = np.array([float(params[k]) for k in names])
    except (KeyError, TypeError, ValueError) as exc:
        raise ParameterError(f"{model}: parameters must include {names}, got {params}") from exc
    if np.any(~np.isfinite(vals)) or np.any(vals <= 0):
        raise ParameterError(f"{model}: parameters {names} must be positive, got {vals}")
    return vals
