"""Customer value: purchase and spend models, CLV, retention economics, concentration, RFM.

Modules: ``bgnbd``, ``pareto_nbd``, ``gamma_gamma``, ``sbg`` (one model each: likelihood, fit,
predictions; the fit returns a result whose methods predict), ``results`` (the result
protocol: ``.table``, ``.fit_table()``), ``core`` (the shared maximum-likelihood machinery:
box, budget, status), ``value`` (CLV over a horizon, holdout checks), ``retention`` (the
retention CLV formula and what-ifs), ``concentration`` (top-x% share, Lorenz, Gini), ``rfm``
(RFM scores, segments, cohort retention), ``simulate`` and ``plots``.
"""
