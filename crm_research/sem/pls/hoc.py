"""Higher-order constructs (HOC) in PLS path models: repeated indicators and two-stage approaches.

A model with a higher-order construct is the usual spec (``crm_research.sem.spec``) plus one
extra top-level key read only here::

    higher_order:
      RQ: [SAT, COM, TRU]      # relationship quality = second-order construct of three LOCs

The lower-order constructs (LOCs) are ordinary constructs with items; the HOC has no items of
its own and may appear in ``paths`` as a source or target (e.g. ``RQ: [ECRM]``,
``LOY: [RQ]``). Reflective-reflective (type I) HOCs, after Sarstedt, Hair, Cheah, Becker &
Ringle (2019), "How to specify, estimate, and validate higher-order constructs in PLS-SEM",
Australasian Marketing Journal 27(3), 197-211, and Becker, Klein & Wetzels (2012), Long Range
Planning 45(5-6), 359-394:

* **Repeated indicators** (``repeated_indicators``): the HOC is measured by all items of its
  LOCs (copied under the names ``<item>__<HOC>``, because an item belongs to one block), and
  the HOC -> LOC paths are its "loadings" on the LOCs.
* **Two-stage** (``two_stage``): stage 1 estimates LOC scores - ``embedded``: from the
  repeated-indicators model; ``disjoint``: from a model without the HOC in which every LOC
  takes the HOC's place (its antecedents point to each LOC, each LOC to its outcomes);
  stage 2 measures the HOC by the LOC scores (columns ``<LOC>_score``, Mode A) and
  estimates the structural model. The stage-2 loadings are the HOC's loadings on the LOCs.

The HOC's structural paths, its loadings on the LOCs and its scores are reported for either
approach (``HOCResult``); ``stage2_data``/``stage2_spec`` allow a bootstrap of stage 2.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from crm_research.errors import ParameterError, SpecError
from crm_research.sem.pls import PLSResult, estimate_pls
from crm_research.sem.pls.plsc import PLScResult, plsc_from_pls
from crm_research.sem.spec import ModelSpec, parse_spec

APPROACHES = ("embedded", "disjoint")


@dataclass(frozen=True)
class HOCModel:
    """A parsed model with higher-order constructs: the raw spec dict without
    ``higher_order`` and the mapping HOC -> its LOCs."""

    raw: dict[str, Any]
    higher_order: dict[str, list[str]]


@dataclass(frozen=True)
class HOCResult:
    """Estimates of a model with one or more HOCs.

    ``paths``: the structural paths of the HOC model (source, target, estimate; LOC paths of
    the repeated-indicators device excluded); ``hoc_loadings``: hoc, component, loading;
    ``scores``: construct scores including the HOCs; ``stage1``/``result`` the PLS fits
    (the same object for repeated indicators)."""

    approach: str
    paths: pd.DataFrame
    hoc_loadings: pd.DataFrame
    r_squared: pd.DataFrame
    scores: pd.DataFrame
    stage1: PLSResult
    result: PLSResult
    stage2_data: pd.DataFrame
    stage2_spec: ModelSpec

    @property
    def table(self) -> pd.DataFrame:
        return self.paths

    def fit_table(self) -> pd.DataFrame:
        rows = [{"statistic": "observations", "value": float(self.result.n_obs)}]
        rows += [{"statistic": f"R2 {r.construct}", "value": float(r.r2)}
                 for r in self.r_squared.itertuples()]
        return pd.DataFrame(rows, columns=["statistic", "value"])


def parse_hoc_model(model: Mapping[str, Any] | HOCModel) -> HOCModel:
    """Check a HOC model dict (module docstring) and split off ``higher_order``."""
    if isinstance(model, HOCModel):
        return model
    if not isinstance(model, Mapping):
        raise SpecError(f"a higher-order model must be a mapping, got {type(model).__name__}")
    raw = copy.deepcopy(dict(model))
    ho = raw.pop("higher_order", None)
    if not isinstance(ho, Mapping) or not ho:
        raise SpecError("higher-order model: 'higher_order' must map each HOC to its "
                        "lower-order constructs, e.g. {RQ: [SAT, COM, TRU]}")
    cons = raw.get("constructs") or {}
    out: dict[str, list[str]] = {}
    seen: set[str] = set()
    for hoc, locs in ho.items():
        if hoc in cons:
            raise SpecError(f"higher-order construct {hoc!r} must not be listed under "
                            "'constructs' (it is measured through its components)")
        locs = [str(c) for c in (locs or [])]
        if len(locs) < 2:
            raise SpecError(f"higher-order construct {hoc!r} needs at least two components")
        unknown = [c for c in locs if c not in cons]
        if unknown:
            raise SpecError(f"higher-order construct {hoc!r}: component(s) {unknown} are not "
                            f"constructs of the model")
        twice = seen.intersection(locs)
        if twice:
            raise SpecError(f"component(s) {sorted(twice)} belong to two higher-order "
                            "constructs")
        seen.update(locs)
        out[str(hoc)] = locs
    for target, sources in (raw.get("paths") or {}).items():
        for s in [target, *(sources or [])]:
            if s in seen:
                raise SpecError(f"path involving {s!r}: a component of a higher-order "
                                "construct takes part in the structural model through its HOC")
    return HOCModel(raw=raw, higher_order=out)


def _copy_name(item: str, hoc: str) -> str:
    return f"{item}__{hoc}"


def repeated_indicators_spec(model: Mapping[str, Any] | HOCModel) -> tuple[dict[str, Any],
                                                                           dict[str, str]]:
    """The first-order spec dict of the repeated-indicators approach and the mapping
    copy column -> original item."""
    hm = parse_hoc_model(model)
    raw = copy.deepcopy(hm.raw)
    copies: dict[str, str] = {}
    paths = {t: list(s) for t, s in (raw.get("paths") or {}).items()}
    for hoc, locs in hm.higher_order.items():
        items = [it for c in locs for it in raw["constructs"][c]["items"]]
        names = [_copy_name(it, hoc) for it in items]
        copies.update(dict(zip(names, items, strict=True)))
        raw["constructs"][hoc] = {"items": names, "mode": "A"}
        for c in locs:
            paths[c] = [*paths.get(c, []), hoc]
    raw["paths"] = paths
    raw["name"] = f"{raw.get('name', 'model')} (repeated indicators)"
    return raw, copies


def _with_copies(data: pd.DataFrame, copies: Mapping[str, str]) -> pd.DataFrame:
    missing = sorted({v for v in copies.values() if v not in data.columns})
    if missing:
        raise ParameterError(f"data has no column(s) {missing} required by the model")
    extra = pd.DataFrame({new: data[old] for new, old in copies.items()}, index=data.index)
    return pd.concat([data, extra], axis=1)


def _hoc_paths(res: PLSResult, hm: HOCModel) -> pd.DataFrame:
    device = {(h, c) for h, locs in hm.higher_order.items() for c in locs}
    keep = [(s, t) not in device for s, t in zip(res.paths["source"], res.paths["target"],
                                                strict=True)]
    return res.paths[keep].reset_index(drop=True)


def repeated_indicators(data: pd.DataFrame, model: Mapping[str, Any] | HOCModel,
                        scheme: str = "path", missing: str = "listwise") -> HOCResult:
    """Estimate a HOC model by the repeated-indicators approach (module docstring)."""
    hm = parse_hoc_model(model)
    raw, copies = repeated_indicators_spec(hm)
    spec = parse_spec(raw)
    res = estimate_pls(_with_copies(data, copies), spec, scheme=scheme, missing=missing)
    load = [{"hoc": h, "component": c, "loading": float(res.path_matrix.loc[h, c])}
            for h, locs in hm.higher_order.items() for c in locs]
    locs = {c for v in hm.higher_order.values() for c in v}
    r2 = res.r_squared.dropna(subset=["r2"])
    r2 = r2[~r2["construct"].isin(locs)].reset_index(drop=True)
    return HOCResult(approach="repeated indicators", paths=_hoc_paths(res, hm),
                     hoc_loadings=pd.DataFrame(load), r_squared=r2, scores=res.scores,
                     stage1=res, result=res, stage2_data=res.item_data, stage2_spec=spec)


def _disjoint_spec(hm: HOCModel) -> dict[str, Any]:
    raw = copy.deepcopy(hm.raw)
    paths: dict[str, list[str]] = {}
    for target, sources in (raw.get("paths") or {}).items():
        tgts = hm.higher_order.get(target, [target])
        for t in tgts:
            for s in sources:
                for s2 in hm.higher_order.get(s, [s]):
                    paths.setdefault(t, [])
                    if s2 not in paths[t]:
                        paths[t].append(s2)
    raw["paths"] = paths
    raw["name"] = f"{raw.get('name', 'model')} (disjoint stage 1)"
    return raw


def two_stage(data: pd.DataFrame, model: Mapping[str, Any] | HOCModel,
              approach: str = "embedded", scheme: str = "path", missing: str = "listwise",
              estimator: str = "pls") -> HOCResult:
    """Estimate a HOC model by the embedded or disjoint two-stage approach (module
    docstring). Stage 2 uses the rows of stage 1 (after its missing-value treatment).

    ``estimator='plsc'`` estimates stage 2 by consistent PLS: the LOC scores are then treated
    as reflective indicators of the HOC (their errors come from different item sets, so they
    are uncorrelated under a common-factor model), and the paths and HOC loadings are the
    PLSc ones (``crm_research.sem.pls.plsc``)."""
    if approach not in APPROACHES:
        raise ParameterError(f"approach={approach!r}; expected one of {APPROACHES}")
    if estimator not in ("pls", "plsc"):
        raise ParameterError(f"estimator={estimator!r}; expected 'pls' or 'plsc'")
    hm = parse_hoc_model(model)
    if approach == "embedded":
        raw1, copies = repeated_indicators_spec(hm)
        stage1 = estimate_pls(_with_copies(data, copies), parse_spec(raw1), scheme=scheme,
                              missing=missing)
    else:
        stage1 = estimate_pls(data, parse_spec(_disjoint_spec(hm)), scheme=scheme,
                              missing=missing)
    raw2 = copy.deepcopy(hm.raw)
    cols = pd.DataFrame(stage1.item_data, index=stage1.scores.index)
    for hoc, locs in hm.higher_order.items():
        for c in locs:
            del raw2["constructs"][c]
            cols[f"{c}_score"] = stage1.scores[c].to_numpy()
        raw2["constructs"][hoc] = {"items": [f"{c}_score" for c in locs], "mode": "A"}
    raw2["name"] = f"{raw2.get('name', 'model')} ({approach} two-stage)"
    spec2 = parse_spec(raw2)
    res = estimate_pls(cols, spec2, scheme=scheme, missing="listwise")
    fit: PLSResult | PLScResult = res if estimator == "pls" else plsc_from_pls(res)
    om = fit.outer_model.set_index("item")["loading"]
    load = [{"hoc": h, "component": c, "loading": float(om[f"{c}_score"])}
            for h, locs in hm.higher_order.items() for c in locs]
    label = f"{approach} two-stage" + (" (PLSc)" if estimator == "plsc" else "")
    return HOCResult(approach=label, paths=fit.paths.copy(),
                     hoc_loadings=pd.DataFrame(load),
                     r_squared=fit.r_squared.dropna(subset=["r2"]).reset_index(drop=True),
                     scores=res.scores, stage1=stage1, result=res,
                     stage2_data=cols[spec2.all_items], stage2_spec=spec2)


def compare_approaches(results: list[HOCResult]) -> pd.DataFrame:
    """Side-by-side structural paths and HOC loadings of several HOC results (columns:
    kind, source, target, then one column per approach)."""
    frames = []
    for r in results:
        p = r.paths.assign(kind="path")[["kind", "source", "target", "estimate"]]
        lo = r.hoc_loadings.rename(columns={"hoc": "source", "component": "target",
                                            "loading": "estimate"}).assign(kind="HOC loading")
        frames.append(pd.concat([p, lo[["kind", "source", "target", "estimate"]]])
                      .set_index(["kind", "source", "target"])["estimate"]
                      .rename(r.approach))
    return pd.concat(frames, axis=1).reset_index()
