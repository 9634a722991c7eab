"""crm-research: CRM success factors, customer-loyalty drivers and the impact of eCRM.

Engines (pure functions on DataFrames) live in domain modules (``measurement``, ``pls``, ``clv``,
``rfm``, ``churn``, ``causal``, ``simulate``); ``datasets`` loads the bundled real data;
``studies``/``pipeline``/``cli`` turn the notebooks in ``notebooks/`` into HTML reports.
"""

__version__ = "0.1.0"
