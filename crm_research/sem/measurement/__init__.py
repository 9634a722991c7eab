"""Measurement quality: ``reliability`` (item statistics, alpha, rho_C, rho_A, AVE),
``validity`` (HTMT, Fornell-Larcker, cross-loadings, VIF), ``factor`` (KMO, Bartlett, EFA with
R-compatible varimax/promax) and ``confirmatory`` (CFA and its fit indices); ``checks`` holds
their input checks. ``PLSResult.quality()`` gathers them for a fitted PLS model."""
