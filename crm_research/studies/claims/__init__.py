"""Claims audit: every quantitative claim (CLAIM item) of the CRM source texts, tested on the
bundled data where customer data can test it, with a verdict by fixed rules.

Modules: :mod:`.declarations` (claims.yaml, verdict rules, row format), :mod:`.retention`
(retention → profit, acquisition vs retention cost, annual churn), :mod:`.customers` (Pareto,
value by tenure, repeat sales, cross-buying), :mod:`.campaigns` (win-back timing, promotion
effects, churn-model precision, discount-acquired value, channel cost ratios) and
:mod:`.audit` (the whole audit, summary by claim, verdict overview by theme).
"""

from crm_research.studies.claims.audit import (
    DATASETS_NEEDED,
    audit_claims,
    claims_summary,
    prepare_audit_data,
    undeclared_rows,
    verdict_overview,
)
from crm_research.studies.claims.campaigns import (
    claim_channel_ratios,
    claim_churn_model_precision,
    claim_discount_acquired_value,
    claim_promotion_sales,
    claim_winback_timing,
    spend_ratio,
    top_share_precision,
    winback_rate_ratio,
)
from crm_research.studies.claims.customers import (
    claim_pareto,
    claim_profit_tenure,
    claim_recommendation_share,
    claim_repeat_sales,
    new_product_value,
    ratio_of_sums_ci,
    repeat_purchase_value,
    tenure_value_windows,
)
from crm_research.studies.claims.declarations import (
    CONTEXT,
    CONTRADICTED,
    DEPENDS,
    NOT_TESTABLE,
    ROW_COLUMNS,
    STATUSES,
    SUPPORTED,
    VERDICTS,
    claim_info,
    claim_row,
    combine_verdicts,
    load_claims,
    verdict_from_interval,
    verdict_rules,
)
from crm_research.studies.claims.retention import (
    annual_churn_estimates,
    claim_acquisition_vs_retention_cost,
    claim_annual_churn,
    claim_contract_churn,
    claim_retention_profit,
    retention_baselines,
    retention_uplift_sensitivity,
    smcrm_margin_and_acquisition_cost,
)

__all__ = [
    "DATASETS_NEEDED", "audit_claims", "claims_summary", "prepare_audit_data",
    "undeclared_rows", "verdict_overview",
    "claim_channel_ratios", "claim_churn_model_precision", "claim_discount_acquired_value",
    "claim_promotion_sales", "claim_winback_timing", "spend_ratio", "top_share_precision",
    "winback_rate_ratio",
    "claim_pareto", "claim_profit_tenure", "claim_recommendation_share", "claim_repeat_sales",
    "new_product_value", "ratio_of_sums_ci", "repeat_purchase_value", "tenure_value_windows",
    "CONTEXT", "CONTRADICTED", "DEPENDS", "NOT_TESTABLE", "ROW_COLUMNS", "STATUSES",
    "SUPPORTED", "VERDICTS", "claim_info", "claim_row", "combine_verdicts", "load_claims",
    "verdict_from_interval", "verdict_rules",
    "annual_churn_estimates", "claim_acquisition_vs_retention_cost", "claim_annual_churn",
    "claim_contract_churn", "claim_retention_profit", "retention_baselines",
    "retention_uplift_sensitivity", "smcrm_margin_and_acquisition_cost",
]
