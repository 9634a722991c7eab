"""The CRM primer's teaching computations: one textbook formula per function (each module's
docstring gives its source), callable with plain numbers.

Modules: :mod:`.campaign` (funnel, test-cell size, response lift), :mod:`.clv_formula` (CLV by
the retention formula), :mod:`.rates` (churn and other rates with exact intervals),
:mod:`.concentration` (Pareto shares), :mod:`.loyalty` (attitudinal vs behavioural loyalty),
:mod:`.customer_base` (marketing funnel of a purchase log, share of wallet and cross-buy,
profit-maximising spend, profit deciles, win-back targeting), :mod:`.frameworks` (the texts'
definitions and frameworks as data) and :mod:`.data` (transaction logs, glossary).
The names below are the primer's public API. Formulas that are engines live in their domain
and are called from here: the CLV formula (:func:`crm_research.clv.retention.retention_clv`),
top-x% share and Lorenz curve (:mod:`crm_research.clv.concentration`), churn rates and
proportion intervals (:mod:`crm_research.churn.rates`).
"""

from crm_research.studies.primer.campaign import (
    SampleSize,
    campaign_cell_vs_rollout,
    campaign_test_cell,
    funnel_bottleneck,
    funnel_from_flags,
    funnel_rates,
    minimum_detectable_rate,
    power_two_proportions,
    response_lift,
    sample_size_two_proportions,
)
from crm_research.studies.primer.clv_formula import (
    TIMINGS,
    clv_formula_table,
    clv_formula_vs_model,
    margin_multiple,
    retention_clv_grid,
    retention_uplift,
)
from crm_research.studies.primer.concentration import (
    customer_totals,
    pareto_share_ci,
    pareto_table,
)
from crm_research.studies.primer.customer_base import (
    marketing_funnel,
    ols_table,
    profit_deciles,
    profit_maximising_spend,
    purchase_days,
    quadratic_optimum,
    share_of_wallet_drivers,
    winback_targeting,
)
from crm_research.studies.primer.data import (
    GLOSSARY_COLUMNS,
    TRANSACTION_DATASETS,
    load_glossary,
    transaction_log,
)
from crm_research.studies.primer.frameworks import (
    framework_table,
    load_frameworks,
    theme,
    theme_html,
    theme_ids,
    themes_table,
)
from crm_research.studies.primer.loyalty import (
    attitudinal_loyalty,
    dick_basu_segments,
    repeat_buyer_share,
    repeat_buyer_table,
)
from crm_research.studies.primer.rates import (
    annualise_churn,
    crm_type_headlines,
    exact_proportion_ci,
    lapse_share,
    rate_by_group,
    score_summary,
    snapshot_churn_rate,
)

__all__ = [
    "marketing_funnel", "ols_table", "profit_deciles", "profit_maximising_spend",
    "purchase_days", "quadratic_optimum", "share_of_wallet_drivers", "winback_targeting",
    "framework_table", "load_frameworks", "theme", "theme_html", "theme_ids", "themes_table",
    "SampleSize", "campaign_cell_vs_rollout", "campaign_test_cell", "funnel_bottleneck",
    "funnel_from_flags",
    "funnel_rates", "minimum_detectable_rate", "power_two_proportions", "response_lift",
    "sample_size_two_proportions",
    "TIMINGS", "clv_formula_table", "clv_formula_vs_model", "margin_multiple",
    "retention_clv_grid", "retention_uplift",
    "customer_totals", "pareto_share_ci", "pareto_table",
    "GLOSSARY_COLUMNS", "TRANSACTION_DATASETS", "load_glossary", "transaction_log",
    "attitudinal_loyalty", "dick_basu_segments", "repeat_buyer_share", "repeat_buyer_table",
    "annualise_churn", "crm_type_headlines", "exact_proportion_ci", "lapse_share",
    "rate_by_group", "score_summary", "snapshot_churn_rate",
]
