"""The project's exception types.

Every error a user can provoke (bad data, bad model spec, bad parameter, a fit that does not
converge, a failed report run) is raised as one of these, with a message that names the file,
column, row or parameter and what was expected. Code that catches a pandas/numpy/scipy error
on user input re-raises it as one of these (``raise DataError(...) from exc``).
"""

from __future__ import annotations


class CRMResearchError(Exception):
    """Base class of every error the project raises on purpose."""


class DataError(CRMResearchError, ValueError):
    """Input data is missing, malformed or fails a check (checksum, column, type, range)."""


class ChecksumError(DataError):
    """A bundled data file does not match the sha256 recorded for it."""


class SpecError(CRMResearchError, ValueError):
    """A model / codebook / study specification is invalid or does not match the data."""


class ParameterError(CRMResearchError, ValueError):
    """A study or function parameter is unknown, of the wrong type, or out of range."""


class ConvergenceError(CRMResearchError, RuntimeError):
    """An iterative estimator did not converge within its iteration limit."""


class EstimationError(CRMResearchError, RuntimeError):
    """An estimator cannot be computed on these data (e.g. no overlap, singular design)."""


class StudyRunError(CRMResearchError, RuntimeError):
    """A study notebook failed while executing; the message names the failing cell."""
