"""Customer-based causal inference: experiments, observational estimators, balance, method
checks, plots.
"""
