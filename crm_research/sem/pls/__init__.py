"""PLS path modelling: algorithm, bootstrap, IPMA, MGA, PLSpredict."""
