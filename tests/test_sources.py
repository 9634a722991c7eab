"""Tests of the source register (crm_research/studies/sources.yaml) and its references."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from crm_research.errors import SpecError
from crm_research.studies import sources as S
from crm_research.studies.claims import load_claims

ROOT = Path(__file__).resolve().parents[1]
# the inventory lives beside the repository in the development set-up (not in a clean clone)
INVENTORY = ROOT.parent / "shared" / "seeds" / "INVENTORY.md"
ARABIC = re.compile(r"[\u0600-\u06FF]")


def test_register_lists_every_inventory_id():
    assert len(S.inventory_ids()) == 239
    assert S.missing_ids() == []
    reg = S.load_sources()
    assert len(reg) == 239 and reg["id"].is_unique
    assert set(reg["kind"]) <= set(S.KINDS)


@pytest.mark.skipif(not INVENTORY.is_file(), reason="inventory not beside the repository")
def test_register_matches_the_inventory_file():
    inv = S.inventory_ids_from_markdown(INVENTORY.read_text(encoding="utf-8"))
    assert sorted(inv) == sorted(S.inventory_ids())
    reg = S.load_sources().set_index("id")
    wrong = {i: (k, reg.loc[i, "kind"]) for i, k in inv.items() if reg.loc[i, "kind"] != k}
    assert not wrong


def test_every_reference_points_to_something():
    assert S.reference_problems(ROOT / "notebooks") == []


def test_reference_checker_can_fail(tmp_path):
    """With an empty notebooks folder every computed reference is reported."""
    problems = S.reference_problems(tmp_path)
    computed = S.register_table().query("how == 'computed'")
    assert len(problems) == len(computed) > 0
    assert all("has no notebooks/" in p for p in problems)


def test_every_claim_is_audited_by_its_own_row():
    reg = S.register_table()
    audited = reg[reg.how == "audited"].set_index("id")["claim"]
    decl = load_claims().set_index("inventory_id")["id"]
    claims = S.load_sources().query("kind == 'CLAIM'")["id"]
    assert len(claims) == 57
    for i in claims:
        assert audited.loc[i] == decl.loc[i]


def test_summaries_english_terms_persian_and_context_has_reasons():
    reg = S.load_sources()
    assert not reg["summary"].map(lambda s: bool(ARABIC.search(s))).any()
    terms = reg["terms"][reg["terms"] != ""]
    assert len(terms) > 150
    assert terms.map(lambda s: bool(ARABIC.search(s))).all()
    assert not terms.str.contains("ي|ك").any()  # Persian ی and ک, not the Arabic letters
    ctx = S.context_items()
    assert (ctx["reason"].str.len() > 10).all()
    assert not set(ctx["kind"]) & {"CLAIM"}


def test_missing_ids_reports_both_directions():
    assert S.missing_ids(["000-01", "999-01"])[:1] == ["999-01"]
    assert any(x.startswith("unknown ") for x in S.missing_ids(["000-01"]))


def test_loader_rejects_a_broken_register(monkeypatch):
    bad = ("items:\n- {id: '000-01', kind: CLAIM, summary: x, terms: [],\n"
           "   meets: [{how: taught, section: definitions, exercise: e}]}\n")

    class Res:
        def joinpath(self, _name):
            return self

        def read_text(self, encoding="utf-8"):
            return bad

    from crm_research.studies import package_yaml

    monkeypatch.setattr(package_yaml.resources, "files", lambda _pkg: Res())
    S._items.cache_clear()
    try:
        with pytest.raises(SpecError, match="not audited"):
            S.load_sources()
    finally:
        monkeypatch.undo()
        S._items.cache_clear()


def test_package_yaml_entries_are_checked_the_same_way_for_every_file():
    from crm_research.studies.package_yaml import read_entries

    with pytest.raises(SpecError, match="non-empty 'items' list"):
        read_entries("x.yaml", "items", data={"items": []})
    with pytest.raises(SpecError, match="x.yaml: items entry 2 repeats id 'a'"):
        read_entries("x.yaml", "items", data={"items": [{"id": "a"}, {"id": "a"}]})
    with pytest.raises(SpecError, match="entry 1 is not a mapping"):
        read_entries("x.yaml", "items", data={"items": ["a"]})
    assert len(read_entries("x.yaml", "items", id_key=None,
                            data={"items": [{"id": "a"}, {"id": "a"}]})) == 2
