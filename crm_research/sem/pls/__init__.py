"""PLS path modelling.

Modules: ``design`` (model design, data preparation, batched moments), ``algorithm`` (the PLS
algorithm, :func:`estimate_pls`, :class:`PLSResult`), ``bootstrap`` (:func:`bootstrap_pls`),
``quality`` (the measurement-quality bundle of ``PLSResult.quality()``), ``ipma``, ``mga``
(permutation test), ``predict`` (PLSpredict) and ``effects`` (mediation, simple slopes).

The public entry points are re-exported here:
``from crm_research.sem.pls import estimate_pls, bootstrap_pls, PLSResult``.
"""

from crm_research.sem.pls.algorithm import PLSResult, estimate_pls
from crm_research.sem.pls.bootstrap import BootstrapResult, bootstrap_pls

__all__ = ["BootstrapResult", "PLSResult", "bootstrap_pls", "estimate_pls"]
