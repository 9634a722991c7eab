"""The loyalty_drivers study end to end on the models users bring (issue 11 items 4 and 9).

Each model is a YAML file written here, with data simulated from it
(``crm_research.sem.simulate.simulate_from_spec``, 5-point Likert answers) saved as a CSV that
the YAML names; the study runs through the pipeline exactly as
``crm-research run loyalty_drivers -p model FILE`` does, with small resample counts.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from crm_research.runner.pipeline import run_study
from crm_research.sem.simulate import simulate_from_spec
from crm_research.sem.spec import parse_spec

THRESHOLDS = [-1.5, -0.5, 0.5, 1.5]          # 5 categories: 1..5
FAST = {"n_boot": 30, "n_perm": 20, "predict_folds": 2, "predict_repeats": 1}


def _items(prefix: str, k: int) -> list[str]:
    return [f"{prefix}{i}" for i in range(1, k + 1)]


# Six kinds of user model in four runs (each run is a notebook execution, ~20 s): the mode-B
# block and the one-item construct share a model, and so do the moderator and the Persian names.
MODELS = {
    "single_equation": {  # three drivers -> one outcome: no indirect effects
        "constructs": {"A": {"items": _items("a", 3)}, "B": {"items": _items("b", 3)},
                       "C": {"items": _items("c", 3)}, "Y": {"items": _items("y", 3)}},
        "paths": {"Y": ["A", "B", "C"]}},
    "two_constructs": {
        "constructs": {"X": {"items": _items("x", 4)}, "Y": {"items": _items("y", 3)}},
        "paths": {"Y": ["X"]}},
    "mode_b_and_one_item": {  # a formative block and a one-item construct, one mediated path
        "constructs": {"F": {"items": _items("f", 3), "mode": "B"}, "S": {"items": ["s1"]},
                       "A": {"items": _items("a", 3)}, "Y": {"items": _items("y", 3)}},
        "paths": {"A": ["F"], "Y": ["A", "F", "S"]}},
    "persian_moderator": {  # quality -> satisfaction -> loyalty, moderated by switching costs
        "constructs": {"کیفیت": {"items": _items("q", 3)}, "رضایت": {"items": _items("s", 3)},
                       "هزینه_تغییر": {"items": _items("c", 3)},
                       "وفاداری": {"items": _items("l", 3)}},
        "interactions": {"رضایت_x_هزینه": {"of": ["رضایت", "هزینه_تغییر"]}},
        "paths": {"رضایت": ["کیفیت"],
                  "وفاداری": ["رضایت", "کیفیت", "هزینه_تغییر", "رضایت_x_هزینه"]}},
}
MEDIATED = {"mode_b_and_one_item", "persian_moderator"}


def _write_model(tmp: Path, key: str) -> Path:
    body = {"name": f"user model {key}", **MODELS[key]}
    inter = body.get("interactions", {})
    # the simulator draws reflective main-effects models: the data come from that version
    main = parse_spec({"name": body["name"],
                       "constructs": {c: {"items": v["items"]} for c, v in
                                      body["constructs"].items()},
                       "paths": {t: [x for x in ss if x not in inter]
                                 for t, ss in body["paths"].items()}})
    sim = simulate_from_spec(main, 150, paths=0.4, loadings=0.8, thresholds=THRESHOLDS,
                             seed=7)
    csv = tmp / f"{key}.csv"
    sim.data.to_csv(csv, index=False)
    body |= {"data": str(csv), "scale": {"min": 1, "max": 5}}
    path = tmp / f"{key}.yaml"
    path.write_text(yaml.safe_dump(body, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@pytest.mark.slow
@pytest.mark.parametrize("key", list(MODELS))
def test_loyalty_drivers_runs_on_user_models(tmp_path: Path, key: str) -> None:
    model = _write_model(tmp_path, key)
    out = tmp_path / "out"
    res = run_study("loyalty_drivers", {"model": str(model), **FAST}, out=out,
                    update_index=False)
    assert res.status == "ok", res.error
    folder = out / "loyalty_drivers"
    findings = json.loads((folder / "findings.json").read_text(encoding="utf-8"))
    text = " ".join(findings["findings"])
    assert ("no mediated paths" in text) == (key not in MEDIATED)
    checks = pd.read_csv(folder / "tables" / "quality_checks.csv")
    if key == "mode_b_and_one_item":
        na = checks[checks["passed"] == "not applicable"]
        assert {"F", "S"} <= set(na["subject"])
    if key == "persian_moderator":
        paths = pd.read_csv(folder / "tables" / "paths.csv")
        assert "رضایت_x_هزینه" in set(paths["source"])
    assert (folder / "figures" / "paths.png").stat().st_size > 0
