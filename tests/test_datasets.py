"""Loaders: checksums, types and the documented quirks of each bundled data set."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from crm_research.data import codebook, datasets
from crm_research.errors import ChecksumError, DataError, SpecError


def test_registry_matches_files_and_readme():
    readme = (datasets.data_dir().parent / "README.md").read_text(encoding="utf-8")
    for name, info in datasets.REGISTRY.items():
        assert info.path.is_file(), name
        assert datasets.sha256_of(info.path) == info.sha256, name
        assert info.sha256 in readme, f"data/README.md lacks the sha256 of {name}"
        assert info.file in readme


@pytest.mark.parametrize("name", list(datasets.REGISTRY))
def test_every_loader_returns_the_documented_rows(name):
    df = datasets.load(name)
    info = datasets.info_of(name)
    assert isinstance(df, pd.DataFrame)
    assert len(df) == info.rows


def test_checksum_mismatch_is_a_clear_error(tmp_path, monkeypatch):
    for info in datasets.REGISTRY.values():
        shutil.copy(info.path, tmp_path / info.file)
    with open(tmp_path / "ecsi_mobi.csv", "a", encoding="utf-8") as fh:
        fh.write("1,2,3\n")
    monkeypatch.setenv(datasets.DATA_ENV, str(tmp_path))
    with pytest.raises(ChecksumError, match=r"ecsi_mobi.*expected eeedf6"):
        datasets.load("ecsi_mobi")
    (tmp_path / "telco_churn.csv").unlink()
    with pytest.raises(DataError, match="telco_churn.*not found"):
        datasets.load("telco_churn")


def test_unknown_dataset_lists_known_names():
    with pytest.raises(DataError, match="unknown data set 'nope'.*cdnow_master"):
        datasets.load("nope")


def test_ecsi_satisfaction_types():
    df = datasets.load("ecsi_satisfaction")
    assert "respondent" not in df.columns
    assert df.shape == (250, 28)
    assert df["imag1"].dtype == float
    assert set(df["gender"].cat.categories) == {"female", "male"}
    items = df.drop(columns="gender")
    assert items.min().min() >= 0 and items.max().max() <= 10


def test_corp_rep_minus_99_is_missing():
    df = datasets.load("corp_rep")
    assert not (df.select_dtypes("number") == -99).any().any()
    raw = pd.read_csv(datasets.info_of("corp_rep").path)
    assert int(df.isna().sum().sum()) == int((raw == -99).sum().sum()) > 0
    assert set(df["service_type"].dropna().unique()) == {"prepaid", "contract"}


def test_telco_blank_total_charges_kept_missing_for_tenure_zero():
    df = datasets.load("telco_churn")
    missing = df[df["total_charges"].isna()]
    assert len(missing) == 11
    assert (missing["tenure"] == 0).all()
    assert df["churn"].dtype == bool and df["churn"].sum() == 1869
    assert list(df["contract"].cat.categories) == ["Month-to-month", "One year", "Two year"]


def test_mlc_churn_flags():
    df = datasets.load("mlc_churn")
    assert df["churn"].dtype == bool and df["international_plan"].dtype == bool
    assert df["number_customer_service_calls"].dtype.kind == "i"


def test_cdnow_dates_and_lines():
    master = datasets.load("cdnow_master")
    assert pd.api.types.is_datetime64_any_dtype(master["date"])
    assert master["customer_id"].nunique() == 23570
    assert master["date"].min() == pd.Timestamp("1997-01-01")
    assert master["date"].max() == pd.Timestamp("1998-06-30")
    sample = datasets.load("cdnow_sample")
    assert sample["sample_id"].nunique() == 2357
    assert list(sample.columns) == ["customer_id", "sample_id", "date", "n_cds", "value"]
    # a customer-day can have several lines: they are not merged by the loader
    assert master.duplicated(["customer_id", "date"]).sum() > 0


def test_online_retail_flags_cancellations_and_returns():
    df = datasets.load("online_retail")
    assert len(df) == 541909
    assert pd.api.types.is_datetime64_any_dtype(df["invoice_date"])
    assert df["customer_id"].isna().sum() == 135080
    assert df["is_cancellation"].sum() == df["invoice"].str.startswith("C").sum() > 0
    assert (df.loc[df["is_return"], "quantity"] < 0).all()
    assert df["invoice_date"].min() >= pd.Timestamp("2010-12-01")


def test_hillstrom_treatment_groups():
    df = datasets.load("hillstrom_email")
    assert df["segment"].value_counts().to_dict() == {
        "Womens E-Mail": 21387, "Mens E-Mail": 21307, "No E-Mail": 21306}


def test_smcrm_and_fader_hardie():
    churn = datasets.load("smcrm_b2b_churn")
    assert (churn["churned"] == 1 - churn["censor"]).all()
    assert churn["duration"].max() <= 730
    fh = datasets.load("fader_hardie_retention")
    assert fh["year"].tolist() == list(range(13))
    assert fh.loc[0, "regular"] == 1000 and fh.loc[0, "high_end"] == 1000
    assert datasets.load("smcrm_win_back")["reacquire"].isin([0, 1]).all()


@pytest.mark.parametrize("name", ["ecsi_satisfaction", "ecsi_mobi", "corp_rep"])
def test_codebooks_cover_each_item_once_and_fit_the_data(name):
    cb = codebook.load_codebook(name)
    df = datasets.load(cb.dataset)
    cb.check_data(df, where=name)
    items = cb.items_frame()
    assert items["item"].is_unique
    assert (items["wording"].str.len() > 0).all()


def test_codebook_errors(tmp_path):
    bad = tmp_path / "cb.yaml"
    bad.write_text("name: x\nscale: {min: 1, max: 5}\nconstructs:\n  A: {items: {a1: {}}}\n"
                   "  B: {items: {a1: {}}}\n")
    with pytest.raises(SpecError, match="item 'a1' is listed under both 'A' and 'B'"):
        codebook.load_codebook(bad)
    with pytest.raises(SpecError, match="unknown codebook 'zzz'"):
        codebook.load_codebook("zzz")
    good = tmp_path / "ok.yaml"
    good.write_text("name: x\nscale: {min: 1, max: 5}\n"
                    "constructs:\n  A: {items: {a1: {}, a2: {}}}\n")
    cb = codebook.load_codebook(good)
    with pytest.raises(DataError, match=r"column 'a2', row 1: value 9.0 outside the scale 1..5"):
        cb.check_data(pd.DataFrame({"a1": [1.0, 2.0], "a2": [3.0, 9.0]}), where="my.csv")
    with pytest.raises(DataError, match=r"expects item column\(s\) \['a2'\]"):
        cb.check_data(pd.DataFrame({"a1": [1.0]}), where="my.csv")


def test_user_csv_errors_name_the_file(tmp_path):
    with pytest.raises(DataError, match=r"transaction log '.*nope.csv' does not exist"):
        datasets.read_user_csv(tmp_path / "nope.csv", "transaction log")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(DataError, match=r"empty.csv' is not a readable CSV"):
        datasets.read_user_csv(empty)
    ok = tmp_path / "ok.csv"
    ok.write_text("a,b\n1,2\n")
    assert datasets.load_or_read(str(ok)).shape == (1, 2)
    assert len(datasets.load_or_read("fader_hardie_retention")) == 13
