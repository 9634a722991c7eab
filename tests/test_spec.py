"""Tests of the PLS model specification (crm_research.sem.spec)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crm_research.data import datasets
from crm_research.errors import SpecError
from crm_research.sem.spec import (
    ModelSpec,
    builtin_models,
    load_model,
    parse_spec,
    validate_against,
)


def _base() -> dict:
    return {
        "name": "toy",
        "constructs": {
            "A": {"items": ["a1", "a2"], "mode": "A"},
            "B": {"items": ["b1", "b2"], "mode": "B"},
            "C": {"items": ["c1"]},
        },
        "paths": {"B": ["A"], "C": ["A", "B"]},
    }


def _data(n: int = 20) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(rng.normal(size=(n, 5)), columns=["a1", "a2", "b1", "b2", "c1"])


def test_builtin_models_parse_and_match_their_data() -> None:
    names = builtin_models()
    assert {"ecsi_satisfaction", "ecsi_mobi", "corp_rep_simple", "corp_rep_extended",
            "corp_rep_moderation"} <= set(names)
    for name in names:
        assert isinstance(load_model(name), ModelSpec)
    for name in ("ecsi_satisfaction", "ecsi_mobi", "corp_rep_simple", "corp_rep_extended",
                 "corp_rep_moderation"):
        spec = load_model(name)
        validate_against(spec, datasets.load(spec.data))


def test_ecsi_satisfaction_structure_is_plspm_model() -> None:
    spec = load_model("ecsi_satisfaction")
    assert spec.construct_names == ["IMAG", "EXPE", "QUAL", "VAL", "SAT", "LOY"]
    assert set(spec.paths) == {
        ("IMAG", "EXPE"), ("IMAG", "SAT"), ("IMAG", "LOY"), ("EXPE", "QUAL"), ("EXPE", "VAL"),
        ("EXPE", "SAT"), ("QUAL", "VAL"), ("QUAL", "SAT"), ("VAL", "SAT"), ("SAT", "LOY")}
    assert spec.exogenous == ["IMAG"]
    assert spec.endogenous == ["EXPE", "QUAL", "VAL", "SAT", "LOY"]
    assert spec.items_of("VAL") == ["val1", "val2", "val3", "val4"]
    a = spec.adjacency()
    assert a.loc["IMAG", "EXPE"] == 1 and a.loc["EXPE", "IMAG"] == 0
    assert int(a.to_numpy().sum()) == 10
    # topological order → strictly upper-triangular adjacency
    assert np.all(np.tril(a.to_numpy()) == 0)


def test_ecsi_mobi_is_tenenhaus_model() -> None:
    spec = load_model("ecsi_mobi")
    assert len(spec.paths) == 12
    assert ("CUSCO", "CUSL") in spec.paths and ("CUSA", "CUSCO") in spec.paths
    assert spec.items_of("PERQ") == [f"PERQ{i}" for i in range(1, 8)]


def test_corp_rep_models() -> None:
    ext = load_model("corp_rep_extended")
    assert [ext.mode_of(c) for c in ("QUAL", "PERF", "CSOR", "ATTR")] == ["B"] * 4
    assert ext.mode_of("COMP") == "A"
    mod = load_model("corp_rep_moderation")
    assert mod.interaction_names == ["CUSA_x_SC"]
    assert ("CUSA_x_SC", "CUSL") in mod.paths
    assert "CUSA_x_SC" not in mod.without_interactions().predecessors("CUSL")


def test_topological_order_regardless_of_declaration() -> None:
    spec = _base()
    spec["constructs"] = dict(reversed(list(spec["constructs"].items())))
    parsed = parse_spec(spec)
    assert parsed.construct_names == ["A", "B", "C"]
    assert parsed.predecessors("C") == ["A", "B"]


def test_roundtrip_to_dict() -> None:
    spec = load_model("corp_rep_moderation")
    assert parse_spec(spec.to_dict()) == spec


def test_yaml_text_and_file(tmp_path) -> None:
    import yaml

    text = yaml.safe_dump(_base())
    assert parse_spec(text).construct_names == ["A", "B", "C"]
    path = tmp_path / "m.yaml"
    path.write_text(text)
    assert load_model(str(path)) == parse_spec(_base())


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda s: s["constructs"]["B"].update(items=["a1", "b2"]), "item 'a1' is in two"),
        (lambda s: s["constructs"]["B"].update(items=[]), "construct 'B' has no items"),
        (lambda s: s["paths"].update(A=["C"]), "cycle"),
        (lambda s: s["paths"].update(B=["B"]), "self-loop"),
        (lambda s: s["paths"].update(C=["A", "Z"]), "unknown construct 'Z'"),
        (lambda s: s["paths"].update(Z=["A"]), "'Z' is an unknown construct"),
        (lambda s: s["constructs"]["A"].update(mode="C"), "mode 'C'"),
        (lambda s: s.update(foo=1), "unknown key"),
        (lambda s: s.update(interactions={"AxB": {"of": ["A", "Q"]}}), "unknown construct 'Q'"),
        (lambda s: s.update(interactions={"AxB": {"of": ["A", "B"]}}), "not used in any path"),
        (lambda s: s.update(scale={"min": 5, "max": 1}), "must exceed"),
    ],
)
def test_structural_errors(mutate, message: str) -> None:
    spec = _base()
    mutate(spec)
    with pytest.raises(SpecError, match=message):
        parse_spec(spec)


def test_cycle_message_names_the_cycle() -> None:
    spec = _base()
    spec["paths"]["A"] = ["C"]
    with pytest.raises(SpecError) as err:
        parse_spec(spec)
    assert "A" in str(err.value) and "C" in str(err.value) and "->" in str(err.value)


def test_validate_against_data_errors() -> None:
    spec = parse_spec(_base())
    df = _data()
    assert validate_against(spec, df) is spec
    with pytest.raises(SpecError, match="item 'c1' of construct 'C' is not a column"):
        validate_against(spec, df.drop(columns="c1"))
    bad = df.assign(b1=["x"] * len(df))
    with pytest.raises(SpecError, match="item 'b1' of construct 'B' is not numeric"):
        validate_against(spec, bad)
    with pytest.raises(SpecError, match="item 'a2' of construct 'A' is constant"):
        validate_against(spec, df.assign(a2=3.0))
    with pytest.raises(SpecError, match="no observed values"):
        validate_against(spec, df.assign(a2=np.nan))
    with pytest.raises(SpecError, match="DataFrame"):
        validate_against(spec, df.to_numpy())


def test_unknown_model_name() -> None:
    with pytest.raises(SpecError, match="unknown model 'nope'"):
        load_model("nope")
    with pytest.raises(SpecError, match="does not exist"):
        load_model("missing_file.yaml")


def test_group_and_item_scales() -> None:
    spec = load_model("corp_rep_moderation")
    assert spec.group == "servicetype"
    assert dict(spec.group_labels) == {1: "prepaid", 2: "contract"}
    assert spec.scale_of("switch_4") == (1.0, 4.0)
    assert spec.scale_of("comp_1") == (1.0, 7.0)
    assert load_model("ecsi_satisfaction").group == "gender"
    assert load_model("ecsi_mobi").group is None
    bad = _base()
    bad["scale"] = {"min": 1, "max": 7, "items": {"zz": [1, 5]}}
    with pytest.raises(SpecError, match="unknown item 'zz'"):
        parse_spec(bad)
    bad["scale"] = {"items": {"a1": [5, 1]}}
    with pytest.raises(SpecError, match="must exceed"):
        parse_spec(bad)
    with pytest.raises(SpecError, match="'group' must be"):
        parse_spec({**_base(), "group": 3})


def test_model_data_and_mode_helpers() -> None:
    from crm_research.sem.spec import model_data

    spec = load_model("corp_rep_extended")
    assert len(model_data(spec)) == 344
    assert list(spec.blocks_of_mode("B")) == ["QUAL", "PERF", "CSOR", "ATTR"]
    assert list(spec.blocks_of_mode("A", min_items=2)) == ["COMP", "LIKE", "CUSL"]
    with pytest.raises(SpecError, match="names no data set"):
        model_data(parse_spec(_base()))
    with pytest.raises(SpecError, match="neither a bundled data set"):
        model_data(parse_spec({**_base(), "data": "nope"}))


def test_model_data_validates_the_spec_against_its_data(tmp_path):
    from crm_research.sem.spec import model_data, parse_spec

    spec = parse_spec({"name": "x", "data": "ecsi_satisfaction",
                       "constructs": {"A": {"items": ["imag1", "nope"], "mode": "A"},
                                      "B": {"items": ["sat1"], "mode": "A"}},
                       "paths": {"B": ["A"]}})
    with pytest.raises(SpecError, match="nope"):
        model_data(spec)


def test_out_of_scale_values_are_caught_when_the_data_are_loaded(tmp_path) -> None:
    """Issue 11 item 8: an out-of-scale Likert value stops the run at the data-loading step
    (model_data) with the item, the row (counted from 1) and the scale, not at the IPMA."""
    from crm_research.errors import DataError
    from crm_research.sem.pls import estimate_pls
    from crm_research.sem.spec import model_data

    df = datasets.load("ecsi_satisfaction").copy()
    df.loc[df.index[6], "sat2"] = 11.0       # scale 0-10
    df.loc[df.index[9], "sat2"] = -99.0      # a missing-value code left in the file
    path = tmp_path / "sat.csv"
    df.to_csv(path, index=False)
    spec = parse_spec({**load_model("ecsi_satisfaction").to_dict(), "data": str(path)})
    with pytest.raises(DataError, match=r"'sat2'.*2 value\(s\) outside its scale 0-10.*"
                                        r"data row\(s\) \[7, 10\]"):
        model_data(spec)
    with pytest.raises(DataError, match="outside its scale"):
        estimate_pls(df, spec)
    # per-item scales are honoured; values on the scale pass
    ok = parse_spec({**spec.to_dict(), "scale": {"min": 0, "max": 10,
                                                 "items": {"sat2": [-99, 11]}}})
    assert len(model_data(ok)) == len(df)
