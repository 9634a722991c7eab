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
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    if kind == "survey":
        num = df.select_dtypes("number")
        items = [c for c in num.columns if num[c].max() <= 10 and num[c].nunique() <= 11]
        means = num[items].mean()
        axes[0].bar(range(len(items)), means.to_numpy(), color="#2b5d8a")
        axes[0].set_xticks(range(len(items)), items, rotation=90, fontsize=6)
        axes[0].set_title("item means")
        axes[1].bar(range(len(items)), num[items].isna().mean().to_numpy(), color="#b3261e")
        axes[1].set_xticks(range(len(items)), items, rotation=90, fontsize=6)
        axes[1].set_title("share missing per item")
    elif kind == "transactions":
        date_col = next(c for c in df.columns if pd.api.types.is_datetime64_any_dtype(df[c]))
        value_col = "value" if "value" in df.columns else "line_value"
        monthly = df.groupby(df[date_col].dt.to_period("M")).size()
        axes[0].plot(monthly.index.to_timestamp(), monthly.to_numpy(), marker="o", ms=3)
        axes[0].set_title("transaction lines per month")
        axes[0].tick_params(axis="x", rotation=45)
        vals = df[value_col]
        vals = vals[(vals > 0) & (vals < vals.quantile(0.99))]
        axes[1].hist(vals, bins=50, color="#2b5d8a")
        axes[1].set_title(f"{value_col} (positive, below 99th pct)")
    elif kind == "table":
        x = df.columns[0]
        for c in df.columns[1:]:
            axes[0].plot(df[x], df[c], marker="o", label=c)
        axes[0].set_title("values by " + x)
        axes[0].legend()
        axes[1].axis("off")
    else:
        miss = df.isna().mean()
        axes[0].barh(range(len(miss)), miss.to_numpy(), color="#b3261e")
        axes[0].set_yticks(range(len(miss)), [str(c) for c in miss.index], fontsize=6)
        axes[0].set_title("share missing per column")
        outcome = next((c for c in ("churn", "reacquire", "acquisition", "churned", "conversion",
                                    "visit") if c in df.columns), None)
        if outcome is not None:
            counts = df[outcome].astype(int).value_counts().sort_index()
            axes[1].bar([str(i) for i in counts.index], counts.to_numpy(), color="#2b5d8a")
            axes[1].set_title(f"{outcome}: counts")
        else:
            axes[1].axis("off")
    fig.suptitle(name)
    fig.tight_layout()
    return fig
