"""Measurement quality: reliability, validity, EFA and CFA."""
