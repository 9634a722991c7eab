"""The claims audit: every CLAIM item of the source texts as rows, the summary by claim and the
verdict overview by theme.

:func:`audit_claims` runs every tested and orientation claim function on the bundled data and
adds one row for each remaining claim (not testable or context) saying why customer data cannot
test it and what would; so every inventory CLAIM id has at least one row. Data come through a
``loader`` (default :func:`crm_research.data.datasets.load`), so the claim functions do no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import pandas as pd

from crm_research._checks import require_columns
from crm_research.data.transactions import clean_online_retail
from crm_research.studies.claims.campaigns import (
    claim_channel_ratios,
    claim_churn_model_precision,
    claim_discount_acquired_value,
    claim_promotion_sales,
    claim_winback_timing,
)
from crm_research.studies.claims.customers import (
    claim_pareto,
    claim_profit_tenure,
    claim_recommendation_share,
    claim_repeat_sales,
)
from crm_research.studies.claims.declarations import (
    CONTEXT,
    NOT_TESTABLE,
    ROW_COLUMNS,
    VERDICTS,
    claim_info,
    claim_row,
    combine_verdicts,
    load_claims,
    rows_frame,
)
from crm_research.studies.claims.retention import (
    claim_acquisition_vs_retention_cost,
    claim_annual_churn,
    claim_contract_churn,
    claim_retention_profit,
)

__all__ = ["DATASETS_NEEDED", "prepare_audit_data", "audit_claims", "undeclared_rows",
           "claims_summary", "verdict_overview"]

#: Bundled data sets :func:`audit_claims` loads.
DATASETS_NEEDED: tuple[str, ...] = (
    "smcrm_b2b_churn", "smcrm_acquisition_retention", "smcrm_win_back",
    "fader_hardie_retention", "telco_churn", "cdnow_master", "online_retail", "hillstrom_email")


def prepare_audit_data(data: Mapping[str, pd.DataFrame] | None = None,
                       loader: Callable[[str], pd.DataFrame] | None = None
                       ) -> dict[str, pd.DataFrame]:
    """The frames the audit needs: ``data`` completed with ``loader`` (default
    :func:`crm_research.data.datasets.load`) plus ``online_retail_log``, the Online Retail
    lines cleaned by :func:`crm_research.data.transactions.clean_online_retail` (computed once;
    pass the result to :func:`audit_claims` to reuse it)."""
    got = dict(data or {})
    missing = [n for n in DATASETS_NEEDED if n not in got]
    if missing:
        from crm_research.data.datasets import load

        for name in missing:
            got[name] = (loader or load)(name)
    if "online_retail_log" not in got:
        got["online_retail_log"] = clean_online_retail(got["online_retail"])[0]
    return got


def undeclared_rows(covered: set[str]) -> pd.DataFrame:
    """One row for each declared claim whose id is not in ``covered``: status not_testable →
    verdict 'not testable with these data', context → 'context'; estimate NaN; the note says
    why customer data cannot test it and what would."""
    rows = []
    for _, c in load_claims().iterrows():
        if c["id"] in covered:
            continue
        verdict = CONTEXT if c["status"] == "context" else NOT_TESTABLE
        rows.append(claim_row(c["id"], "none", math.nan, math.nan, math.nan,
                              f"{c['reason']}. Would test it: {c['would_test']}", verdict))
    return rows_frame(rows)


def audit_claims(data: Mapping[str, pd.DataFrame] | None = None,
                 loader: Callable[[str], pd.DataFrame] | None = None, n_boot: int = 1000,
                 seed: int = 0, level: float = 0.95, delta: float = 0.05,
                 discount_rate: float = 0.10, timing: str = "end", top: float = 0.2
                 ) -> pd.DataFrame:
    """All 57 claims, one row per claim × data set (columns :data:`ROW_COLUMNS`), in the order
    of claims.yaml. ``data`` as for :func:`prepare_audit_data`."""
    got = prepare_audit_data(data, loader)
    retail_log = got["online_retail_log"]
    b2b, acq = got["smcrm_b2b_churn"], got["smcrm_acquisition_retention"]
    cdnow, win_back = got["cdnow_master"], got["smcrm_win_back"]
    parts = [
        *(claim_retention_profit(b2b, acq, got["fader_hardie_retention"], cdnow, retail_log,
                                 delta, discount_rate, timing, level, cid)
          for cid in ("churn_cut_profit_25_85", "retention_value_95pct")),
        *(claim_acquisition_vs_retention_cost(acq, n_boot, seed, level, cid)
          for cid in ("acquisition_cost_5x", "acquisition_34_vs_retention_6_8")),
        claim_annual_churn(b2b, got["telco_churn"], cdnow, retail_log, level),
        claim_contract_churn(b2b, got["telco_churn"], cdnow, retail_log, level),
        claim_pareto(cdnow, retail_log, acq, top, n_boot, seed, level),
        claim_profit_tenure(cdnow, acq, n_boot, seed, level),
        claim_repeat_sales(cdnow, retail_log, n_boot, seed, level),
        claim_winback_timing(win_back, n_boot, seed, level),
        claim_churn_model_precision(got["telco_churn"], seed=seed, level=level),
        claim_promotion_sales(got["hillstrom_email"], n_boot, seed, level),
        claim_discount_acquired_value(win_back, n_boot, seed, level),
        claim_recommendation_share(got["online_retail"], n_boot, seed, level),
        claim_channel_ratios(),
    ]
    rows = pd.concat(parts, ignore_index=True)
    rows = pd.concat([rows, undeclared_rows(set(rows["claim_id"]))], ignore_index=True)
    order = {cid: i for i, cid in enumerate(load_claims()["id"])}
    rows = rows.sort_values("claim_id", key=lambda s: s.map(order), kind="stable")
    return rows.reset_index(drop=True)[ROW_COLUMNS]


def claims_summary(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per claim: inventory id, theme, claim, source, data sets used, estimate range,
    overall verdict (:func:`combine_verdicts`) and what data would test it."""
    require_columns(rows, ROW_COLUMNS, "claims rows")
    out = []
    for cid, g in rows.groupby("claim_id", sort=False):
        info = claim_info(str(cid))
        est = g["estimate"].dropna()
        out.append({"claim_id": cid, "inventory_id": info["inventory_id"],
                    "theme": info["theme"], "claim": info["claim"], "source": info["source"],
                    "data_used": "; ".join(g["data_used"]),
                    "estimate_min": float(est.min()) if len(est) else math.nan,
                    "estimate_max": float(est.max()) if len(est) else math.nan,
                    "verdict": combine_verdicts(list(g["verdict"])),
                    "would_test": info["would_test"]})
    return pd.DataFrame(out)


def verdict_overview(summary: pd.DataFrame) -> pd.DataFrame:
    """Number of claims per theme and verdict (a :func:`claims_summary` table): one row per
    theme, one column per verdict, and ``claims`` (the row total); a last row 'all themes'."""
    require_columns(summary, ["theme", "verdict"], "claims summary")
    tab = pd.crosstab(summary["theme"], summary["verdict"])
    tab = tab.reindex(columns=[v for v in VERDICTS], fill_value=0)
    order = list(dict.fromkeys(summary["theme"]))
    tab = tab.loc[order]
    tab.loc["all themes"] = tab.sum()
    tab["claims"] = tab.sum(axis=1)
    return tab.reset_index().rename(columns={"index": "theme"}).rename_axis(columns=None)
