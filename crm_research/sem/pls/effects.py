"""Mediation and moderation summaries of a PLS path model."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from crm_research.errors import ParameterError
from crm_research.sem.pls.algorithm import PLSResult
from crm_research.sem.pls.bootstrap import BootstrapResult

# ============================================================================================
# Mediation and moderation summaries
# ============================================================================================

MEDIATION_COLUMNS = ["source", "target", "direct", "direct_ci_low", "direct_ci_high", "indirect",
                     "indirect_ci_low", "indirect_ci_high", "mediation"]


def mediation_table(boot: BootstrapResult) -> pd.DataFrame:
    """Direct and indirect effects with bootstrap intervals and the mediation type of
    Zhao, Lynch & Chen (2010, J. Consumer Research 37(2), 197-206) as recommended by Hair et al.
    (2017, Primer, ch. 7): indirect significant and direct significant with the same sign →
    complementary; opposite sign → competitive; indirect only → indirect-only (full mediation);
    direct only → direct-only (no mediation); neither → no effect. "Significant" = the
    bootstrap interval (``boot.ci``) excludes 0; a pair without a direct path has direct = 0.
    A model without indirect effects gives an empty table with these columns.
    """
    ind = boot.indirect_effects.set_index(["source", "target"])
    direct = boot.paths.set_index(["source", "target"])
    rows = []
    for (s, t), r in ind.iterrows():
        ind_sig = bool(r["ci_low"] > 0 or r["ci_high"] < 0)
        if (s, t) in direct.index:
            dr = direct.loc[(s, t)]
            d_est, d_lo, d_hi = dr["estimate"], dr["ci_low"], dr["ci_high"]
            d_sig = bool(d_lo > 0 or d_hi < 0)
        else:
            d_est, d_lo, d_hi, d_sig = 0.0, np.nan, np.nan, False
        if ind_sig and d_sig:
            kind = "complementary" if np.sign(d_est) == np.sign(r["estimate"]) else "competitive"
        elif ind_sig:
            kind = "indirect-only" if (s, t) in direct.index else "indirect (no direct path)"
        elif d_sig:
            kind = "direct-only"
        else:
            kind = "no effect"
        rows.append({"source": s, "target": t, "direct": d_est, "direct_ci_low": d_lo,
                     "direct_ci_high": d_hi, "indirect": r["estimate"],
                     "indirect_ci_low": r["ci_low"], "indirect_ci_high": r["ci_high"],
                     "mediation": kind})
    return pd.DataFrame(rows, columns=MEDIATION_COLUMNS)


def simple_slopes(result: PLSResult, interaction: str,
                  at: Sequence[float] = (-1.0, 0.0, 1.0)) -> pd.DataFrame:
    """Effect of the focal construct on the target at moderator values ``at`` (in SD units of
    the moderator score) for a two-stage interaction (Aiken & West 1991; Hair et al. 2018,
    Advanced Issues, ch. 7): slope(m) = b_x + b_int * m / sd(x*m), because the interaction
    term is the standardised product of the standardised scores.
    """
    inter = {i.name: i for i in result.spec.interactions}.get(interaction)
    if inter is None:
        raise ParameterError(f"model {result.spec.name!r} has no interaction {interaction!r}")
    x_name, m_name = inter.of
    target = [t for s, t in result.spec.paths if s == interaction][0]
    pm = result.path_matrix
    prod = result.scores[x_name].to_numpy() * result.scores[m_name].to_numpy()
    sd = prod.std()
    b_x = pm.loc[x_name, target]
    b_i = pm.loc[interaction, target]
    return pd.DataFrame({"moderator": m_name, "moderator_sd": list(at),
                         "focal": x_name, "target": target,
                         "slope": [b_x + b_i * m / sd for m in at]})
