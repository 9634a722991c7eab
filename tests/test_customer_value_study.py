"""customer_value on users' logs end to end (issues 11 and 17): day-first dates with an explicit
``date_format``, ambiguity refused before any estimate, and a log where the purchase models end on
a degenerate boundary is reported, not turned into a NaN crash."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crm_research.errors import StudyRunError
from crm_research.runner.pipeline import run_study

pytestmark = pytest.mark.slow


def _no_dropout_log(path, fmt: str, n_customers: int = 300, seed: int = 1) -> str:
    """Purchases uniform over 500 days, nobody drops out, no rate heterogeneity."""
    rng = np.random.default_rng(seed)
    rows = []
    for c in range(n_customers):
        for d in np.sort(rng.integers(0, 500, rng.integers(1, 8))):
            day = pd.Timestamp("2020-01-01") + pd.Timedelta(days=int(d))
            rows.append((c, day.strftime(fmt), round(float(rng.gamma(2.0, 20.0)), 2)))
    pd.DataFrame(rows, columns=["customer_id", "date", "value"]).to_csv(path, index=False)
    return str(path)


def test_day_first_log_with_date_format_reports_boundary_fits(tmp_path):
    log = _no_dropout_log(tmp_path / "log.csv", "%d/%m/%Y")
    res = run_study("customer_value", {"dataset": log, "date_format": "%d/%m/%Y"},
                    out=tmp_path / "out", quick=True)
    assert res.status == "ok"
    html = (tmp_path / "out" / "customer_value" / "report.html").read_text(encoding="utf-8")
    assert "boundary" in html  # the fits' status is reported in words


def test_ambiguous_dates_are_refused_before_estimation(tmp_path):
    rows = pd.DataFrame({"customer_id": [1, 1, 2, 2, 3, 3], "value": [5.0] * 6,
                         "date": ["01/02/2020", "03/04/2020", "05/06/2020", "07/08/2020",
                                  "09/10/2020", "11/12/2020"]})
    rows.to_csv(tmp_path / "amb.csv", index=False)
    with pytest.raises(StudyRunError, match="cell 4 .*(ambiguous|day-first|month)"):
        run_study("customer_value", {"dataset": str(tmp_path / "amb.csv")},
                  out=tmp_path / "out", quick=True)
