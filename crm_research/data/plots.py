"""One overview figure per data set, chosen by the data set's kind (matplotlib Figure returned)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from crm_research.data.datasets import info_of


def overview_figure(name: str, df: pd.DataFrame) -> Figure:
    """A two-panel figure describing ``df`` (data set ``name``):

    survey → item means and share missing per item; transactions → lines per month and value
    distribution; customers/experiment → missing share per column and the first outcome-like
    column; table → the table's numeric columns against its first column.
    """
    kind = info_of(name).kind
    if kind == "survey":
        num = df.select_dtypes("number")
        items = [c for c in num.columns if num[c].max() <= 10 and num[c].nunique() <= 11]
        # one row per item, labels at full size (a figure 9 in wide shows at 100%)
        fig, axes = plt.subplots(1, 2, figsize=(9, max(3.6, 0.2 * len(items) + 1.2)),
                                 sharey=True)
        rows = range(len(items))
        axes[0].barh(rows, num[items].mean().to_numpy(), color="#0072B2")
        axes[0].set_yticks(rows, items)
        axes[0].invert_yaxis()
        axes[0].set_title("item means")
        axes[1].barh(rows, num[items].isna().mean().to_numpy(), color="#D55E00")
        axes[1].set_title("share missing per item")
        axes[1].set_xlim(0, max(0.05, float(num[items].isna().mean().max()) * 1.1))
    elif kind == "transactions":
        fig, axes = plt.subplots(1, 2, figsize=(9, 3.6))
        date_col = next(c for c in df.columns if pd.api.types.is_datetime64_any_dtype(df[c]))
        value_col = "value" if "value" in df.columns else "line_value"
        monthly = df.groupby(df[date_col].dt.to_period("M")).size()
        axes[0].plot(monthly.index.to_timestamp(), monthly.to_numpy(), marker="o", ms=3)
        axes[0].set_title("transaction lines per month")
        axes[0].tick_params(axis="x", rotation=45)
        vals = df[value_col]
        vals = vals[(vals > 0) & (vals < vals.quantile(0.99))]
        axes[1].hist(vals, bins=50, color="#0072B2")
        axes[1].set_title(f"{value_col} (positive, below 99th pct)")
    elif kind == "table":
        fig, axes = plt.subplots(1, 2, figsize=(9, 3.6))
        x = df.columns[0]
        for c in df.columns[1:]:
            axes[0].plot(df[x], df[c], marker="o", label=c)
        axes[0].set_title("values by " + x)
        axes[0].legend()
        axes[1].axis("off")
    else:
        miss = df.isna().mean()
        fig, axes = plt.subplots(1, 2, figsize=(9, max(3.6, 0.2 * len(miss) + 1.2)))
        axes[0].barh(range(len(miss)), miss.to_numpy(), color="#D55E00")
        axes[0].set_yticks(range(len(miss)), [str(c) for c in miss.index])
        axes[0].invert_yaxis()
        axes[0].set_title("share missing per column")
        outcome = next((c for c in ("churn", "reacquire", "acquisition", "churned", "conversion",
                                    "visit") if c in df.columns), None)
        if outcome is not None:
            counts = df[outcome].astype(int).value_counts().sort_index()
            axes[1].bar([str(i) for i in counts.index], counts.to_numpy(), color="#0072B2")
            axes[1].set_title(f"{outcome}: counts")
        else:
            axes[1].axis("off")
    fig.suptitle(name)
    fig.tight_layout()
    return fig
