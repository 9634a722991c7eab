"""Parameter schema: coercion by declared type, and clear errors before any cell runs."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm_research.errors import ParameterError, SpecError
from crm_research.runner.registry import Parameter, all_studies, get_study, load_study


def test_cli_strings_are_coerced_by_declared_type(toy_notebooks):
    study = get_study("toy")
    values = study.resolve({"n": "42", "label": "42", "fail": "no", "weights": "0.5, 3",
                            "mode": "y", "group": "none"})
    assert values["n"] == 42 and isinstance(values["n"], int)
    assert values["label"] == "42" and isinstance(values["label"], str)
    assert values["fail"] is False
    assert values["weights"] == [0.5, 3.0]
    assert values["group"] is None


def test_json_list_and_quick_values(toy_notebooks):
    study = get_study("toy")
    assert study.resolve({"weights": "[1, 2.5]"})["weights"] == [1.0, 2.5]
    assert study.resolve(quick=True)["n"] == 3
    assert study.resolve({"n": 7}, quick=True)["n"] == 7


@pytest.mark.parametrize(("params", "fragment"), [
    ({"nope": 1}, "unknown parameter"),
    ({"n": "abc"}, "expected an integer"),
    ({"n": "0"}, "below the minimum"),
    ({"n": 1001}, "above the maximum"),
    ({"n": True}, "expected an integer"),
    ({"mode": "z"}, "not allowed"),
    ({"fail": "maybe"}, "expected true or false"),
    ({"weights": "[1, oops"}, "cannot read"),
    ({"weights": "1,x"}, "expected a number"),
    ({"seed": "none"}, "is required"),
])
def test_bad_parameters_name_the_parameter(toy_notebooks, params, fragment):
    with pytest.raises(ParameterError) as exc:
        get_study("toy").resolve(params)
    assert fragment in str(exc.value)
    assert "toy" in str(exc.value)


def test_unknown_study(toy_notebooks):
    with pytest.raises(ParameterError, match="unknown study 'nosuch'"):
        get_study("nosuch")


def test_bad_declarations_are_spec_errors(tmp_path):
    (tmp_path / "s.ipynb").write_text("{}", encoding="utf-8")
    (tmp_path / "s.yaml").write_text("parameters:\n  a: {type: complex, default: 1}\n")
    with pytest.raises(SpecError, match="type 'complex' unknown"):
        load_study(tmp_path / "s.yaml")
    (tmp_path / "s.yaml").write_text("parameters:\n  a: {type: int, default: 0, min: 1}\n")
    with pytest.raises(ParameterError, match="below the minimum"):
        load_study(tmp_path / "s.yaml")
    (tmp_path / "t.yaml").write_text("parameters: {}\n")
    with pytest.raises(SpecError, match="notebook t.ipynb is missing"):
        load_study(tmp_path / "t.yaml")


def test_every_shipped_study_declaration_is_valid_and_matches_its_notebook():
    import json

    import nbformat

    studies = all_studies()
    assert "data_overview" in studies
    for name, study in studies.items():
        nb = nbformat.read(study.notebook, as_version=4)
        tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
        assert len(tagged) == 1, f"{name}: exactly one cell tagged 'parameters'"
        namespace: dict = {}
        exec(tagged[0].source, {}, namespace)  # literals only
        defaults = study.defaults()
        assert set(namespace) == set(defaults), f"{name}: parameter cell vs YAML names"
        for key, value in defaults.items():
            assert json.dumps(namespace[key]) == json.dumps(value), f"{name}.{key} default"


@given(st.integers(min_value=-10**9, max_value=10**9))
def test_int_roundtrip_through_string(value):
    p = Parameter(name="k", type="int", default=0)
    assert p.coerce(str(value)) == value


@given(st.lists(st.text(alphabet="abcxyz_", min_size=1, max_size=8), min_size=1, max_size=5))
def test_list_of_str_roundtrip_through_comma_string(values):
    p = Parameter(name="k", type="list[str]", default=[])
    assert p.coerce(",".join(values)) == values


def test_every_shipped_study_opens_with_one_findings_box():
    """Each study notebook calls report.key_findings exactly once (a second call would replace
    the first box)."""
    import json

    for name, study in all_studies().items():
        nb = json.loads(study.notebook.read_text(encoding="utf-8"))
        code = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
        calls = sum(src.count("report.key_findings(") for src in code)
        assert calls == 1, f"{name}: {calls} calls of report.key_findings"
