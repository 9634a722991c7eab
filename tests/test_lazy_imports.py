"""Importing the engines does not import scipy.stats or statsmodels.api (issue 17: every study's
kernel paid 0.4-0.7 s for them); the lazy proxy imports them on first use."""

from __future__ import annotations

import subprocess
import sys

import pytest

from crm_research._lazy import lazy_module

ENGINES = ["crm_research.report", "crm_research.sem.pls",
           "crm_research.sem.measurement.reliability", "crm_research.churn",
           "crm_research.causal.estimators", "crm_research.clv.value",
           "crm_research.studies.primer", "crm_research.studies.claims"]


@pytest.mark.parametrize("heavy", ["scipy.stats", "statsmodels.api"])
def test_engines_do_not_import_heavy_modules_eagerly(heavy):
    code = (f"import sys\nfor m in {ENGINES!r}:\n    __import__(m)\n"
            f"print({heavy!r} in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


def test_lazy_module_imports_on_first_use_and_behaves_like_the_module():
    import math

    proxy = lazy_module("math")
    assert proxy.sqrt(16.0) == 4.0 and proxy.pi == math.pi
    with pytest.raises(AttributeError):
        proxy.no_such_function  # noqa: B018
    with pytest.raises(ModuleNotFoundError):
        lazy_module("no_such_module_xyz").anything  # noqa: B018
