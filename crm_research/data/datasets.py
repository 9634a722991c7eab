"""Bundled real data sets: registry, checksum verification and one typed loader each.

The raw files live in ``data/raw/`` of the repository, copied unchanged from the project's shared
data folder; ``data/README.md`` records source, licence, shape and sha256 of each. Every loader
verifies the file's sha256 before parsing it (mismatch → :class:`ChecksumError`) and returns a
tidy, typed DataFrame whose columns are documented in the loader's docstring.

The data directory can be moved with the environment variable ``CRM_RESEARCH_DATA``.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from crm_research import report
from crm_research.errors import ChecksumError, DataError

DATA_ENV = "CRM_RESEARCH_DATA"


def data_dir() -> Path:
    """Directory holding the raw data files (``$CRM_RESEARCH_DATA`` or ``<repo>/data/raw``)."""
    env = os.environ.get(DATA_ENV)
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "data" / "raw"


@dataclass(frozen=True)
class DatasetInfo:
    """Registry entry of one bundled data set."""

    name: str
    file: str
    sha256: str
    rows: int
    cols: int
    title: str
    source: str
    licence: str
    kind: str  # survey | transactions | customers | experiment | table
    codebook: str | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def path(self) -> Path:
        return data_dir() / self.file


REGISTRY: dict[str, DatasetInfo] = {}
_LOADERS: dict[str, Callable[[], pd.DataFrame]] = {}


Loader = Callable[[], pd.DataFrame]


def _register(info: DatasetInfo) -> Callable[[Loader], Loader]:
    def deco(fn: Loader) -> Loader:
        REGISTRY[info.name] = info
        _LOADERS[info.name] = fn
        return fn

    return deco


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MiB chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@cache
def _cached_sha(path: str, size: int, mtime_ns: int) -> str:
    return sha256_of(Path(path))


def verified_path(name: str) -> Path:
    """Path of data set ``name`` after checking that it exists and matches its sha256."""
    info = info_of(name)
    path = info.path
    if not path.is_file():
        raise DataError(
            f"data set {name!r}: file {path} not found (expected the bundled raw file; "
            f"set {DATA_ENV} if the data directory was moved)"
        )
    st = path.stat()
    actual = _cached_sha(str(path), st.st_size, st.st_mtime_ns)
    if actual != info.sha256:
        raise ChecksumError(
            f"data set {name!r}: file {path} has sha256 {actual}, expected {info.sha256} "
            "(the file was changed or corrupted; restore it from data/README.md's source)"
        )
    report.record_dataset(name, str(path), actual)
    return path


def info_of(name: str) -> DatasetInfo:
    """Registry entry of ``name``; unknown name → DataError listing the known ones."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise DataError(
            f"unknown data set {name!r}; expected one of: {', '.join(sorted(REGISTRY))}"
        ) from None


def names() -> list[str]:
    """Names of all bundled data sets, in registry order."""
    return list(REGISTRY)


def load(name: str) -> pd.DataFrame:
    """Load bundled data set ``name`` (checksum verified, typed)."""
    info_of(name)
    return _LOADERS[name]()


def read_user_csv(path: str | os.PathLike[str], what: str = "data file",
                  encoding: str | None = None) -> pd.DataFrame:
    """Read a user's CSV file; a missing or unreadable file → one DataError naming it.

    The single entry point for user-provided tables (survey data, transaction logs, project
    records), so every study reports file problems the same way. ``encoding`` is the file's
    text encoding (default UTF-8; e.g. ``cp1256`` or ``latin-1`` for older exports).
    """
    p = Path(path)
    if not p.is_file():
        raise DataError(f"{what} {str(p)!r} does not exist (expected a CSV file)")
    try:
        df = pd.read_csv(p, encoding=encoding)
    except LookupError as exc:
        raise DataError(f"{what} {str(p)!r}: unknown encoding {encoding!r}") from exc
    except UnicodeDecodeError as exc:
        raise DataError(f"{what} {str(p)!r} is not valid {encoding or 'UTF-8'} text ({exc}); "
                        "pass its encoding (e.g. cp1256, latin-1)") from exc
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        raise DataError(f"{what} {str(p)!r} is not a readable CSV: {exc}") from exc
    report.record_dataset(p.name, str(p.resolve()), sha256_of(p))
    return df


def load_or_read(name_or_path: str, what: str = "data file",
                 encoding: str | None = None) -> pd.DataFrame:
    """A bundled data set by name, otherwise a user CSV by path (see :func:`read_user_csv`)."""
    if name_or_path in REGISTRY:
        return load(name_or_path)
    return read_user_csv(name_or_path, what, encoding)


def catalogue() -> pd.DataFrame:
    """One row per data set: name, title, kind, rows, cols, file, sha256, source, licence."""
    rows = [
        {
            "name": i.name,
            "title": i.title,
            "kind": i.kind,
            "rows": i.rows,
            "cols": i.cols,
            "file": i.file,
            "sha256": i.sha256,
            "source": i.source,
            "licence": i.licence,
            "codebook": i.codebook or "",
        }
        for i in REGISTRY.values()
    ]
    return pd.DataFrame(rows)


def _read_csv(name: str, **kwargs: Any) -> pd.DataFrame:
    path = verified_path(name)
    try:
        return pd.read_csv(path, **kwargs)
    except (ValueError, pd.errors.ParserError) as exc:
        raise DataError(f"data set {name!r}: cannot parse {path}: {exc}") from exc


def _yes_no(series: pd.Series, name: str, col: str, yes: str | int = "yes",
            no: str | int = "no") -> pd.Series:
    mapped = series.map({yes: True, no: False})
    bad = mapped.isna() & series.notna()
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(
            f"data set {name!r}, column {col!r}, row {row}: value {str(series.iloc[row])!r}; "
            f"expected {yes!r} or {no!r}"
        )
    return mapped.astype(bool)


def _int_columns(df: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    for c in cols:
        df[c] = df[c].round().astype("int64")
    return df


# --------------------------------------------------------------------------- surveys

_ECSI_ITEMS = (
    [f"imag{i}" for i in range(1, 6)]
    + [f"expe{i}" for i in range(1, 6)]
    + [f"qual{i}" for i in range(1, 6)]
    + [f"val{i}" for i in range(1, 5)]
    + [f"sat{i}" for i in range(1, 5)]
    + [f"loy{i}" for i in range(1, 5)]
)


@_register(DatasetInfo(
    name="ecsi_satisfaction", file="ecsi_satisfaction.csv",
    sha256="431c31f900cb0dca1eb1f49ca88c28110c9def114139f4701d9c15bd9855fd3c",
    rows=250, cols=29, kind="survey", codebook="ecsi_satisfaction",
    title="ECSI-style customer satisfaction survey of a Spanish bank (plspm 'satisfaction')",
    source="R package plspm (G. Sanchez), data set satisfaction; file from the test data of "
           "GoogleCloudPlatform/plspm-python (tests/data/satisfaction.csv)",
    licence="GPL-3",
))
def load_ecsi_satisfaction() -> pd.DataFrame:
    """ECSI satisfaction survey of 250 customers of a Spanish bank (plspm docs).

    The shared README calls it a mobile-phone survey; plspm's help page says a credit
    institution. Items take values 0-10 (111 cells are 0).

    Columns: imag1-5, expe1-5, qual1-5, val1-4, sat1-4, loy1-4 (float, 0-10 scales:
    image, expectations, perceived quality, perceived value, satisfaction, loyalty);
    gender (category: female/male). The file's ``respondent`` column (row number) is dropped.
    """
    df = _read_csv("ecsi_satisfaction")
    out = df[_ECSI_ITEMS].astype(float)
    out["gender"] = pd.Categorical(df["gender"], categories=["female", "male"])
    return out


@_register(DatasetInfo(
    name="ecsi_mobi", file="ecsi_mobi.csv",
    sha256="eeedf61c7a980dda4c13cb39102d31da859e70d39d86f7d67437ad60e2e789ef",
    rows=250, cols=24, kind="survey", codebook="ecsi_mobi",
    title="ECSI mobile-phone survey as in Tenenhaus et al. (2005) (seminr 'mobi')",
    source="R package seminr, data set mobi; Tenenhaus, Esposito Vinzi, Chatelin & Lauro (2005), "
           "Computational Statistics & Data Analysis 48:159-205",
    licence="GPL-3",
))
def load_ecsi_mobi() -> pd.DataFrame:
    """ECSI 'mobi' survey, 250 respondents, 24 items as float (10-point scales).

    Columns as in the file: IMAG1-5 (image), CUEX1-3 (expectations), PERQ1-7 (perceived
    quality), PERV1-2 (perceived value), CUSA1-3 (satisfaction), CUSCO (complaints),
    CUSL1-3 (loyalty).
    """
    return _read_csv("ecsi_mobi").astype(float)


@_register(DatasetInfo(
    name="corp_rep", file="corp_rep_data.csv",
    sha256="77adfe820491a1fa5a09f49c5118c0861218e49ae5d7d4ccaf890baf3429c43c",
    rows=344, cols=50, kind="survey", codebook="corp_rep",
    title="Corporate reputation of mobile-network operators (Hair et al. PLS-SEM primer)",
    source="R package seminr, data set corp_rep_data; Hair, Hult, Ringle & Sarstedt (2017) "
           "A Primer on PLS-SEM, 2nd ed., Sage",
    licence="GPL-3",
    notes=("missing values are coded -99 in the file and returned as NaN",),
))
def load_corp_rep() -> pd.DataFrame:
    """Corporate-reputation survey, 344 respondents, 7-point items.

    All 50 columns of the file, as float with the missing code -99 replaced by NaN: items
    comp_1-3, like_1-3, csor_1-5, attr_1-3, perf_1-5, qual_1-8, cusa, cusl_1-3, switch_1-4,
    the single-item globals (csor_global, attr_global, perf_global, qual_global), and
    serviceprovider, servicetype (1 = prepaid, 2 = contract), age, education, occupation,
    nphh, sample_type, mga_1-4. ``service_type`` is added as a category (prepaid/contract).
    """
    df = _read_csv("corp_rep").astype(float)
    df = df.mask(df == -99)
    df["service_type"] = pd.Categorical(
        df["servicetype"].map({1.0: "prepaid", 2.0: "contract"}), categories=["prepaid", "contract"]
    )
    return df


# --------------------------------------------------------------------------- customers

_TELCO_FLAGS = ["female", "senior_citizen", "partner", "dependents", "phone_service",
                "paperless_billing"]
_TELCO_CATS = ["multiple_lines", "internet_service", "online_security", "online_backup",
               "device_protection", "tech_support", "streaming_tv", "streaming_movies",
               "contract", "payment_method"]


@_register(DatasetInfo(
    name="telco_churn", file="telco_churn.csv",
    sha256="863e369c3a03cea2bd20d696e572eb5fb064e04657744504deb7b6249b92f66e",
    rows=7043, cols=20, kind="customers",
    title="IBM Watson Telco customer churn",
    source="R package modeldata, data set wa_churn (from IBM's sample data)",
    licence="MIT (modeldata)",
    notes=("total_charges is empty for the 11 customers with tenure 0 (no bill yet); "
           "it is kept as missing, not imputed",),
))
def load_telco_churn() -> pd.DataFrame:
    """Telco churn, one row per customer (7,043).

    Columns: churn (bool, left in the last month); female, senior_citizen, partner, dependents,
    phone_service, paperless_billing (bool); tenure (int, months); multiple_lines,
    internet_service, online_security, online_backup, device_protection, tech_support,
    streaming_tv, streaming_movies, contract, payment_method (category);
    monthly_charges, total_charges (float). ``total_charges`` is NaN for the 11 customers with
    tenure 0 (they have not been billed yet): kept missing on purpose.
    """
    df = _read_csv("telco_churn")
    df["churn"] = _yes_no(df["churn"], "telco_churn", "churn", "Yes", "No")
    for c in _TELCO_FLAGS:
        df[c] = _yes_no(df[c], "telco_churn", c, 1, 0)
    for c in _TELCO_CATS:
        df[c] = df[c].astype("category")
    df["contract"] = df["contract"].cat.reorder_categories(
        ["Month-to-month", "One year", "Two year"], ordered=True)
    df["tenure"] = df["tenure"].astype("int64")
    df["monthly_charges"] = df["monthly_charges"].astype(float)
    df["total_charges"] = pd.to_numeric(df["total_charges"], errors="coerce").astype(float)
    return df


@_register(DatasetInfo(
    name="mlc_churn", file="mlc_churn.csv",
    sha256="977e9701c245abc90ea21b882ffafea62d68e33ce2b50e1e9cfea44344cbffad",
    rows=5000, cols=20, kind="customers",
    title="MLC++ telecom churn (as in R's C50 package)",
    source="R package modeldata, data set mlc_churn",
    licence="MIT (modeldata)",
))
def load_mlc_churn() -> pd.DataFrame:
    """MLC telecom churn, 5,000 accounts.

    Columns: state, area_code (category); account_length, number_vmail_messages, total_*_calls,
    number_customer_service_calls (int); total_*_minutes, total_*_charge (float);
    international_plan, voice_mail_plan, churn (bool).
    """
    df = _read_csv("mlc_churn")
    for c in ["international_plan", "voice_mail_plan", "churn"]:
        df[c] = _yes_no(df[c], "mlc_churn", c)
    for c in ["state", "area_code"]:
        df[c] = df[c].astype("category")
    return df


# --------------------------------------------------------------------------- transactions

def _read_cdnow(name: str, with_sample_id: bool) -> pd.DataFrame:
    path = verified_path(name)
    cols = (["customer_id", "sample_id"] if with_sample_id else ["customer_id"]) + [
        "date", "n_cds", "value"]
    try:
        df = pd.read_csv(path, sep=r"\s+", header=None, names=cols,
                         skiprows=0 if with_sample_id else 1,
                         dtype={"date": str})
        df["date"] = pd.to_datetime(df["date"], format="%Y%m%d")
    except (ValueError, pd.errors.ParserError) as exc:
        raise DataError(f"data set {name!r}: cannot parse {path}: {exc}") from exc
    df["customer_id"] = df["customer_id"].astype("int64")
    if with_sample_id:
        df["sample_id"] = df["sample_id"].astype("int64")
    df["n_cds"] = df["n_cds"].astype("int64")
    df["value"] = df["value"].astype(float)
    return df


@_register(DatasetInfo(
    name="cdnow_master", file="cdnow_master.txt",
    sha256="eff6889ed364c5199d6eacbbeb7a6d559971df4406ac876f322c373f00a072ef",
    rows=69659, cols=4, kind="transactions",
    title="CDNOW purchases of the Q1-1997 cohort (23,570 customers) to June 1998",
    source="Fader & Hardie's CDNOW data, as shipped in the Python package lifetimes "
           "(lifetimes/datasets/CDNOW_master.txt)",
    licence="MIT (lifetimes); data distributed by its authors for research",
    notes=("several rows can share a customer and a day; rows are kept as in the file",),
))
def load_cdnow_master() -> pd.DataFrame:
    """CDNOW master log, one row per transaction line (69,659).

    Columns: customer_id (int), date (datetime64, day), n_cds (int, CDs bought),
    value (float, US dollars). Rows sharing customer and day are kept separate.
    """
    return _read_cdnow("cdnow_master", with_sample_id=False)


@_register(DatasetInfo(
    name="cdnow_sample", file="cdnow_sample.txt",
    sha256="6fae10155c0b0ba363c2c386e30f77990d22328220efd862a5edd1443420d94a",
    rows=6919, cols=5, kind="transactions",
    title="CDNOW 1/10 sample (2,357 customers) of Fader, Hardie & Lee (2005)",
    source="as cdnow_master (lifetimes/datasets/CDNOW_sample.txt); Fader, Hardie & Lee (2005) "
           "Marketing Science 24(2):275-284",
    licence="MIT (lifetimes); data distributed by its authors for research",
))
def load_cdnow_sample() -> pd.DataFrame:
    """CDNOW sample log, one row per transaction line (6,919).

    Columns: customer_id (int, id in the master file), sample_id (int, 1..2357), date
    (datetime64), n_cds (int), value (float, US dollars).
    """
    return _read_cdnow("cdnow_sample", with_sample_id=True)


@_register(DatasetInfo(
    name="online_retail", file="online_retail.csv.gz",
    sha256="0ab79b133aaad6d24606c451439d3e4ab3fcb7ded6d6b69fec393929b495668b",
    rows=541909, cols=8, kind="transactions",
    title="UCI Online Retail: invoice lines of a UK online gift retailer, Dec 2010 - Dec 2011",
    source="UCI Machine Learning Repository via R package onlineretail; Chen, Sain & Guo (2012), "
           "J. Database Marketing & Customer Strategy Management 19(3)",
    licence="CC0 / CC BY 4.0 (UCI)",
    notes=("cancellations (invoice prefix C) and returns (negative quantity) are kept and flagged",
           "customer_id is missing for 135,080 lines"),
))
def load_online_retail() -> pd.DataFrame:
    """Online Retail, one row per invoice line (541,909), nothing dropped.

    Columns: invoice (str), stock_code (str), description (str, may be missing), quantity (int,
    negative for returns), invoice_date (datetime64), unit_price (float, GBP), customer_id
    (Int64, missing for 135,080 lines), country (category), is_cancellation (bool, invoice
    starts with 'C'), is_return (bool, quantity < 0), line_value (float, quantity × unit_price).
    """
    df = _read_csv("online_retail", dtype={"InvoiceNo": str, "StockCode": str,
                                           "Description": str, "Country": str})
    out = pd.DataFrame({
        "invoice": df["InvoiceNo"],
        "stock_code": df["StockCode"],
        "description": df["Description"],
        "quantity": df["Quantity"].round().astype("int64"),
        "invoice_date": pd.to_datetime(df["InvoiceDate"], format="%Y-%m-%d %H:%M:%S"),
        "unit_price": df["UnitPrice"].astype(float),
        "customer_id": df["CustomerID"].round().astype("Int64"),
        "country": df["Country"].astype("category"),
    })
    out["is_cancellation"] = out["invoice"].str.startswith("C")
    out["is_return"] = out["quantity"] < 0
    out["line_value"] = out["quantity"] * out["unit_price"]
    return out


# --------------------------------------------------------------------------- experiment

@_register(DatasetInfo(
    name="hillstrom_email", file="hillstrom_email.csv",
    sha256="ff9e59285e9dc3f5fa3e0975419e6631ea5bdccd65d818991473d2367e02979c",
    rows=64000, cols=12, kind="experiment",
    title="MineThatData e-mail experiment (Hillstrom 2008), randomised",
    source="K. Hillstrom, MineThatData E-Mail Analytics challenge (2008); copy from GitHub "
           "carlosquintanillaa/Datasets (hillstrom.csv)",
    licence="released by its owner for public analysis; no formal licence text",
))
def load_hillstrom_email() -> pd.DataFrame:
    """Hillstrom e-mail experiment, 64,000 customers.

    Columns: recency (int, months since last purchase), history_segment (ordered category),
    history (float, past-year spend $), mens, womens, newbie (int 0/1), zip_code, channel
    (category), segment (category: 'No E-Mail', 'Mens E-Mail', 'Womens E-Mail' — the randomised
    treatment), visit, conversion (int 0/1, next two weeks), spend (float $, next two weeks).
    """
    df = _read_csv("hillstrom_email")
    df["history_segment"] = pd.Categorical(
        df["history_segment"], categories=sorted(df["history_segment"].unique()), ordered=True)
    for c in ["zip_code", "channel"]:
        df[c] = df[c].astype("category")
    df["segment"] = pd.Categorical(df["segment"],
                                   categories=["No E-Mail", "Mens E-Mail", "Womens E-Mail"])
    if df["segment"].isna().any():
        raise DataError("data set 'hillstrom_email', column 'segment': unexpected treatment label")
    return df


# --------------------------------------------------------------------------- SMCRM

_SMCRM_SOURCE = ("R package SMCRM; Kumar & Petersen (2012) Statistical Methods in Customer "
                 "Relationship Management, Wiley")


@_register(DatasetInfo(
    name="smcrm_win_back", file="smcrm_win_back.csv",
    sha256="209f9cd3cc1245fe25a97576feb2217bdc1e761ca73145a1cda1b8c5566e370b",
    rows=500, cols=10, kind="customers", title="SMCRM win-back: 500 lapsed customers",
    source=_SMCRM_SOURCE, licence="GPL-3; illustrative teaching data",
))
def load_smcrm_win_back() -> pd.DataFrame:
    """SMCRM win-back data, 500 lapsed customers.

    Columns: customer, reacquire (0/1), duration_2, duration_1, duration_lapse (days), offer,
    gender (0/1), age (int); sclv (second-lifetime value), price_change (float).
    """
    df = _read_csv("smcrm_win_back")
    return _int_columns(df, ["customer", "reacquire", "duration_2", "duration_1", "offer",
                             "duration_lapse", "gender", "age"])


@_register(DatasetInfo(
    name="smcrm_acquisition_retention", file="smcrm_acquisition_retention.csv",
    sha256="0c27d23a3f02e19a485d84119e6e19f3dd8449806f5633e4cf641aaafa23f8a2",
    rows=500, cols=15, kind="customers", title="SMCRM acquisition and retention: 500 B2B prospects",
    source=_SMCRM_SOURCE, licence="GPL-3; illustrative teaching data",
))
def load_smcrm_acquisition_retention() -> pd.DataFrame:
    """SMCRM acquisition/retention data, 500 B2B prospects.

    Columns: customer, acquisition (0/1), duration (days), freq, freq_sq, crossbuy, sow (share of
    wallet, %), industry (0/1), employees (int); profit, acq_exp, ret_exp, acq_exp_sq, ret_exp_sq,
    revenue (float).
    """
    df = _read_csv("smcrm_acquisition_retention")
    return _int_columns(df, ["customer", "acquisition", "duration", "freq", "freq_sq", "crossbuy",
                             "sow", "industry", "employees"])


@_register(DatasetInfo(
    name="smcrm_b2b_churn", file="smcrm_b2b_churn.csv",
    sha256="7e753e7f2598d11072e4deadcdffad611efd226daf658df296dc6f52e4d2c046",
    rows=500, cols=11, kind="customers",
    title="SMCRM B2B churn: 500 customers, censored at 730 days",
    source=_SMCRM_SOURCE, licence="GPL-3; illustrative teaching data",
    notes=("censor = 1 means still a customer at 730 days (censored); churned = 1 - censor",),
))
def load_smcrm_b2b_churn() -> pd.DataFrame:
    """SMCRM B2B churn data, 500 customers.

    Columns: customer, duration (days, ≤ 730), censor (1 = still a customer when observation
    ended, 0 = churned at duration), industry (0/1), employees, total_crossbuy, total_freq,
    total_freq_sq (int); avg_ret_exp, avg_ret_exp_sq, revenue (float); churned (int, 1 - censor).
    """
    df = _read_csv("smcrm_b2b_churn")
    df = _int_columns(df, ["customer", "duration", "censor", "industry", "employees",
                           "total_crossbuy", "total_freq", "total_freq_sq"])
    df["churned"] = 1 - df["censor"]
    return df


@_register(DatasetInfo(
    name="fader_hardie_retention", file="fader_hardie_2007_retention.csv",
    sha256="d7c1522aaf2bbd07722ab0dc14a4833a3f291aa46510cde691a008892ba2ddb7",
    rows=13, cols=3, kind="table",
    title="Fader & Hardie (2007) survival table: customers active of 1,000, years 0-12",
    source="Fader & Hardie (2007) How to project customer retention, Journal of Interactive "
           "Marketing 21(1):76-90",
    licence="published table (facts)",
    notes=("the paper fits the sBG model to years 0-7 and projects years 8-12",),
))
def load_fader_hardie_retention() -> pd.DataFrame:
    """Fader-Hardie 2007 retention table.

    Columns: year (int, 0-12), regular, high_end (int, customers still active at the start of the
    year out of a cohort of 1,000).
    """
    return _read_csv("fader_hardie_retention").astype("int64")
