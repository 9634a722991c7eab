"""Customer value: transaction summaries to BG/NBD, Pareto/NBD, Gamma-Gamma, sBG, CLV, RFM,
their simulators and plots.
"""
