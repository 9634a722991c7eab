"""Structural equation modelling: model spec, measurement (reliability, validity, CFA/EFA),
PLS-SEM, simulators, plots.
"""
