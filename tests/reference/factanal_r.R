# Reference values of tests/test_measurement.py::test_efa_matches_factanal (R 4.2.2, stats::factanal).
# factanal_ecsi_varimax.csv and factanal_ecsi_promax.csv are this script's output, unchanged.
d <- read.csv("data/raw/ecsi_satisfaction.csv"  # run from the repository root)
x <- d[, 2:28]
f <- factanal(x, factors = 3, rotation = "varimax")
L <- unclass(f$loadings)
write.csv(data.frame(item = rownames(L), L, uniqueness = f$uniquenesses), "/tmp/r_varimax.csv", row.names = FALSE)
g <- factanal(x, factors = 3, rotation = "promax")
L2 <- unclass(g$loadings)
write.csv(data.frame(item = rownames(L2), L2, uniqueness = g$uniquenesses), "/tmp/r_promax.csv", row.names = FALSE)
cat(R.version.string, "\n")
tmat <- solve(g$rotmat); phi <- tmat %*% t(tmat)
colnames(phi) <- rownames(phi) <- colnames(L2)
write.csv(phi, "/tmp/r_promax_phi.csv")
