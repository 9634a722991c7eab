"""Reference values for R ``factanal`` on the ECSI satisfaction items (27 items, 3 factors).

R is not installed where these files were produced, so the R calls

    library(plspm); data(satisfaction)
    x <- satisfaction[, 1:27]
    factanal(x, factors = 3, rotation = "varimax")   # -> factanal_ecsi_varimax.csv
    factanal(x, factors = 3, rotation = "promax")    # -> factanal_ecsi_promax*.csv

are reproduced here by a line-by-line transcription of R 4.x ``stats`` sources
(``factanal``, ``factanal.fit.mle`` with its ``FAfn``/``FAgr``, ``varimax``, ``promax`` and the
internal ``sortLoadings``), written independently of the package code (no statsmodels, plain
loops as in R):

* correlation matrix of the items (``cov.wt(z, cor = TRUE)``); start
  (1 - 0.5 q/p) / diag(solve(cmat)); uniquenesses minimise FAfn by L-BFGS-B on
  [0.005, 1] with the analytic gradient FAgr (here to a far tighter tolerance than R's
  default ``factr``; the projected gradient at the solution is below 1e-7);
* unrotated loadings sqrt(Psi) * E_q * sqrt(max(values_q - 1, 0)) from the eigen-decomposition
  of Psi^-1/2 S Psi^-1/2;
* ``varimax(normalize = TRUE, eps = 1e-5)``: rows divided by their length, the SVD iteration
  from the identity, stopped when d < dpast * (1 + eps) (R stops early on purpose; iterating to
  convergence moves these loadings by up to 8e-4), rows multiplied back;
* ``promax(m = 4)`` on that varimax; factor correlations solve(U) t(solve(U)) with U the full
  rotation matrix (varimax rotmat times the promax transform);
* ``sortLoadings``: factors ordered by decreasing sum of squares, columns with a negative sum
  flipped.

Cross-check with R output seen elsewhere: issue 11 reports that statsmodels' unnormalised
varimax differed from ``factanal`` by up to 0.034 on these data; the unnormalised varimax of the
same ML loadings differs from the values below by 0.0336.

Run ``python tests/reference/make_factanal_reference.py`` to rewrite the CSV files.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from scipy import optimize

HERE = Path(__file__).resolve().parent
Q = 3


def fafn(psi: np.ndarray, s: np.ndarray, q: int) -> float:
    sc = np.diag(1 / np.sqrt(psi))
    sstar = sc @ s @ sc
    e = np.sort(np.linalg.eigvalsh(sstar))[::-1][q:]
    return -(np.sum(np.log(e) - e) - q + s.shape[0])


def loadings_of(psi: np.ndarray, s: np.ndarray, q: int) -> np.ndarray:
    sc = np.diag(1 / np.sqrt(psi))
    sstar = sc @ s @ sc
    values, vectors = np.linalg.eigh(sstar)
    order = np.argsort(values)[::-1]
    values, vectors = values[order], vectors[:, order]
    load = vectors[:, :q] @ np.diag(np.sqrt(np.maximum(values[:q] - 1, 0)))
    return np.diag(np.sqrt(psi)) @ load


def fagr(psi: np.ndarray, s: np.ndarray, q: int) -> np.ndarray:
    load = loadings_of(psi, s, q)
    g = load @ load.T + np.diag(psi) - s
    return np.diag(g) / psi**2


def r_varimax(x: np.ndarray, eps: float = 1e-5) -> tuple[np.ndarray, np.ndarray]:
    nc = x.shape[1]
    sc = np.sqrt(np.array([np.sum(row**2) for row in x]))
    x = x / sc[:, None]
    p = x.shape[0]
    tt = np.eye(nc)
    d = 0.0
    for _ in range(1000):
        z = x @ tt
        b = x.T @ (z**3 - z @ np.diag(np.ones(p) @ z**2) / p)
        u, sv, vt = np.linalg.svd(b)
        tt = u @ vt
        dpast = d
        d = np.sum(sv)
        if d < dpast * (1 + eps):
            break
    z = x @ tt
    return z * sc[:, None], tt


def r_promax(x: np.ndarray, m: int = 4) -> tuple[np.ndarray, np.ndarray]:
    xx, rot = r_varimax(x)
    q = xx * np.abs(xx) ** (m - 1)
    u = np.linalg.lstsq(xx, q, rcond=None)[0]          # lm.fit(x, Q)$coefficients
    d = np.diag(np.linalg.inv(u.T @ u))
    u = u @ np.diag(np.sqrt(d))
    z = xx @ u
    return z, rot @ u


def sort_loadings(lam: np.ndarray, phi: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    ssq = -np.sum(lam**2, axis=0)
    order = np.argsort(ssq, kind="stable")
    lam = lam[:, order]
    neg = lam.sum(axis=0) < 0
    lam[:, neg] = -lam[:, neg]
    if phi is None:
        return lam, np.eye(lam.shape[1])
    unit = np.where(neg, -1.0, 1.0)
    return lam, np.diag(unit) @ phi[np.ix_(order, order)] @ np.diag(unit)


def main() -> None:
    from crm_research.data import datasets  # only to read the bundled CSV

    data = datasets.load("ecsi_satisfaction")
    items = [c for c in data.columns if c[:-1] in ("imag", "expe", "qual", "val", "sat", "loy")]
    x = data[items].to_numpy(dtype=float)
    s = np.corrcoef(x, rowvar=False)
    p = s.shape[0]
    start = (1 - 0.5 * Q / p) / np.diag(np.linalg.inv(s))
    fit = optimize.minimize(fafn, start, args=(s, Q), jac=fagr, method="L-BFGS-B",
                            bounds=[(0.005, 1.0)] * p,
                            options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 10_000})
    psi = fit.x
    grad = fagr(psi, s, Q)
    assert np.abs(grad).max() < 1e-6, grad
    lam0 = loadings_of(psi, s, Q)
    names = [f"Factor{j + 1}" for j in range(Q)]
    vari, _ = r_varimax(lam0)
    vari, _ = sort_loadings(vari, None)
    out = pd.DataFrame(vari, columns=names)
    out.insert(0, "item", items)
    out["uniqueness"] = psi
    out.to_csv(HERE / "factanal_ecsi_varimax.csv", index=False, float_format="%.10f")
    pro, rotmat = r_promax(lam0)
    tmat = np.linalg.inv(rotmat)
    phi = tmat @ tmat.T
    pro, phi = sort_loadings(pro, phi)
    out = pd.DataFrame(pro, columns=names)
    out.insert(0, "item", items)
    out.to_csv(HERE / "factanal_ecsi_promax.csv", index=False, float_format="%.10f")
    pd.DataFrame(phi, index=names, columns=names).rename_axis("factor").to_csv(
        HERE / "factanal_ecsi_promax_phi.csv", float_format="%.10f")
    print("wrote factanal_ecsi_*.csv; objective", fit.fun, "max |gradient|", np.abs(grad).max())


if __name__ == "__main__":
    main()
