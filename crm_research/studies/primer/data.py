"""Data the primer reads: bundled transaction logs and the package's glossary."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from crm_research.errors import ParameterError, SpecError
from crm_research.studies.package_yaml import read_entries

# --------------------------------------------------------------------------- data access

#: Bundled transaction logs the primer can use for Pareto and repeat-buying sections.
TRANSACTION_DATASETS: tuple[str, ...] = ("cdnow_master", "cdnow_sample", "online_retail")


def transaction_log(name: str, loader: Callable[[str], pd.DataFrame] | None = None
                    ) -> pd.DataFrame:
    """Transaction log (customer_id, date, value) of a bundled data set, prepared by
    :func:`crm_research.data.transactions.prepare_log` (the CDNOW logs as loaded; Online Retail
    cleaned by :func:`crm_research.data.transactions.clean_online_retail`).
    ``loader`` defaults to :func:`crm_research.data.datasets.load`."""
    if name not in TRANSACTION_DATASETS:
        raise ParameterError(f"transaction data set {name!r} unknown; expected one of "
                             f"{list(TRANSACTION_DATASETS)}")
    from crm_research.data.datasets import load
    from crm_research.data.transactions import prepare_log

    return prepare_log(name, (loader or load)(name))[0]


# --------------------------------------------------------------------------- glossary

GLOSSARY_COLUMNS = ["term", "persian", "section", "definition"]


def load_glossary(section: str | None = None) -> pd.DataFrame:
    """The CRM glossary (package file ``glossary.yaml``): term, persian, section, definition;
    optionally only the terms of one primer ``section``."""
    terms = read_entries("glossary.yaml", "terms", id_key=None)
    for i, t in enumerate(terms):
        miss = [k for k in GLOSSARY_COLUMNS if not str(t.get(k, "")).strip()]
        if miss:
            raise SpecError(f"glossary.yaml: term #{i + 1} ({t.get('term')!r}) lacks {miss}")
    df = pd.DataFrame([{k: " ".join(str(t[k]).split()) for k in GLOSSARY_COLUMNS}
                       for t in terms])
    if section is not None:
        if section not in set(df["section"]):
            raise ParameterError(f"glossary section {section!r} unknown; known: "
                                 f"{sorted(set(df['section']))}")
        df = df[df["section"] == section].reset_index(drop=True)
    return df
