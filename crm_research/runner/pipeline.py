"""Run studies into reports: validate parameters → papermill → normalise → HTML → atomic move.

Layout of an output folder ``OUT``::

    OUT/index.html                  every study, its status, key parameters, link
    OUT/<study>/report.html         self-contained report (see :mod:`crm_research.runner.render`)
    OUT/<study>/tables/*.csv        every table the report shows
    OUT/<study>/figures/*.png       every figure
    OUT/<study>/executed.ipynb      the executed notebook, timestamps stripped
    OUT/<study>/run.json            parameters, data checksums, versions, commit, time, status
    OUT/_runs/<study>.json          record of the latest attempt (ok or failed)
    OUT/_failed/<study>/            the partial notebook of a failed attempt

A run works in ``OUT/.tmp-<study>-<pid>`` and only replaces ``OUT/<study>`` when it succeeded, so
a failing run never destroys the previous good report.
"""

from __future__ import annotations

import contextlib
import html
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from crm_research import __version__
from crm_research.errors import ParameterError, StudyRunError
from crm_research.report import DATASETS_USED_FILE, OUT_ENV
from crm_research.runner import render
from crm_research.runner.kernel import QuietKernelManager
from crm_research.runner.registry import Study, all_studies, get_study

CELL_TIMEOUT_S = 3600
_VERSIONED = ("numpy", "scipy", "pandas", "statsmodels", "scikit-learn", "lifelines", "semopy",
              "matplotlib", "papermill", "nbclient", "ipykernel", "pyyaml")


@dataclass
class RunResult:
    """Outcome of one study run."""

    study: str
    status: str  # ok | failed
    parameters: dict[str, Any]
    started: str
    duration_s: float
    report: str | None = None
    error: str | None = None
    failed_cell: int | None = None
    datasets: list[dict[str, str]] = field(default_factory=list)


def package_versions() -> dict[str, str]:
    """Installed versions of the project and its main dependencies."""
    out = {"crm-research": __version__, "python": sys.version.split()[0]}
    for name in _VERSIONED:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def git_commit() -> str | None:
    """Commit of the repository holding the package, or None outside a git checkout."""
    repo = Path(__file__).resolve().parents[2]
    try:
        res = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True,
                             text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    if res.returncode != 0:
        return None
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=repo,
                           capture_output=True, text=True, timeout=10, check=False)
    return res.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")


WIDGET_STATE_MIME = "application/vnd.jupyter.widget-state+json"
WIDGET_VIEW_MIME = "application/vnd.jupyter.widget-view+json"
_HEX32 = re.compile(r"(?<![0-9a-f])[0-9a-f]{32}(?![0-9a-f])")
_MODEL_REF = re.compile(r"IPY_MODEL_([0-9a-f]{32})")


def stable_widget_ids(nb: dict[str, Any]) -> dict[str, Any]:
    """Rename the random (uuid4) ipywidgets model ids of an executed notebook to 1, 2, … (as
    32 hex digits) everywhere they occur (outputs, saved state, ``IPY_MODEL_`` references), so
    that a notebook with widgets is byte-identical across runs and its state and outputs still
    refer to each other. Numbering: breadth-first from the displayed widgets in cell order
    through their references; models not reached, in the order of their masked state."""
    state = nb.get("metadata", {}).get("widgets", {}).get(WIDGET_STATE_MIME, {}).get("state")
    if not isinstance(state, dict) or not state:
        return nb
    queue = [o["data"][WIDGET_VIEW_MIME].get("model_id") for c in nb.get("cells", [])
             for o in c.get("outputs", []) if WIDGET_VIEW_MIME in o.get("data", {})]
    order: dict[str, int] = {}
    while queue:
        m = queue.pop(0)
        if m in state and m not in order:
            order[m] = len(order) + 1
            queue.extend(_MODEL_REF.findall(json.dumps(state[m], sort_keys=True)))
    for m in sorted(set(state) - set(order), key=lambda k: _MODEL_REF.sub(
            "IPY_MODEL_", json.dumps(state[k], sort_keys=True))):
        order[m] = len(order) + 1
    text = _HEX32.sub(lambda x: f"{order[x.group(0)]:032x}" if x.group(0) in order
                      else x.group(0), json.dumps(nb))
    return json.loads(text)


def normalise_notebook(nb: dict[str, Any]) -> dict[str, Any]:
    """Strip the run-dependent metadata papermill and nbclient write (times, paths) and make
    widget model ids stable (:func:`stable_widget_ids`)."""
    nb = stable_widget_ids(nb)
    meta = nb.get("metadata", {})
    pm = meta.get("papermill")
    if isinstance(pm, dict):
        meta["papermill"] = {k: pm[k] for k in ("parameters",) if k in pm}
    for cell in nb.get("cells", []):
        cmeta = cell.get("metadata", {})
        cmeta.pop("execution", None)
        cmeta.pop("papermill", None)
        if "injected-parameters" in cmeta.get("tags", []):
            cell["id"] = "injected-parameters"  # papermill gives it a random id
    return nb


@contextlib.contextmanager
def _kernel_env(out_dir: Path) -> Iterator[None]:
    """Environment for the kernel: output dir, headless plotting, fixed hash seed."""
    saved = dict(os.environ)
    os.environ[OUT_ENV] = str(out_dir)
    os.environ["MPLBACKEND"] = "Agg"
    os.environ["PYTHONHASHSEED"] = "0"
    os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _failed_cell(nb: dict[str, Any]) -> tuple[int | None, str]:
    for i, cell in enumerate(nb.get("cells", [])):
        for o in cell.get("outputs", []):
            if o.get("output_type") == "error":
                return i, f"{o.get('ename', 'Error')}: {o.get('evalue', '')}"
    return None, "unknown error"


def _source_cell(nb: dict[str, Any], executed_index: int | None) -> tuple[int | None, str]:
    """Map a cell index of the executed notebook (which has papermill's injected parameters
    cell) to the index in the study's own notebook, with the first line of its source."""
    if executed_index is None:
        return None, ""
    cells = nb.get("cells", [])
    added = {"injected-parameters", "papermill-error-cell-tag"}
    injected = sum(1 for c in cells[:executed_index]
                   if added & set(c.get("metadata", {}).get("tags", [])))
    src = cells[executed_index].get("source", "") if executed_index < len(cells) else ""
    src = "".join(src) if isinstance(src, list) else src
    first = next((line for line in src.splitlines() if line.strip()), "")
    return executed_index - injected, first[:80]


def _write_notebook(path: Path, nb: dict[str, Any]) -> None:
    """Write a (normalised) notebook with stable key order, so identical runs give identical
    bytes."""
    path.write_text(json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n",
                    encoding="utf-8")


def _write_json(path: Path, obj: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + f".tmp{os.getpid()}")
    tmp.write_text(json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def _read_datasets_used(folder: Path) -> list[dict[str, str]]:
    path = folder / DATASETS_USED_FILE
    if not path.exists():
        return []
    seen: dict[str, dict[str, str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            rec = json.loads(line)
            seen[rec["name"]] = rec
    path.unlink()
    return [seen[k] for k in sorted(seen)]


def _header(study: Study, params: dict[str, Any], variant: str | None = None,
            started: str = "", commit: str | None = None) -> str:
    """Run line under the report's title: purpose, variant, run date, commit, links."""
    del params
    lead = html.escape(study.purpose or study.summary.split(". ")[0])
    if variant:
        lead += f" <strong>Variant {html.escape(variant)}.</strong>"
    meta = [f"run {html.escape(started[:10])}" if started else "",
            f"commit <code>{html.escape(commit[:12])}</code>" if commit else "",
            f"crm-research {html.escape(__version__)}",
            "<a href='tables/'>tables/</a>", "<a href='figures/'>figures/</a>",
            "<a href='run.json'>run.json</a>", "<a href='executed.ipynb'>executed.ipynb</a>",
            "<label for='show-code' class='code-switch'>show code</label>"]
    return (f"<p class='lead'>{lead}</p>"
            f"<p class='run-meta'>{' · '.join(m for m in meta if m)}</p>")


def _params_block(params: dict[str, Any]) -> str:
    return (f"<details class='params'><summary>Parameters of this run</summary>"
            f"{render.params_table(params)}</details>")


def prepare_out(out: str | Path) -> Path:
    """The output folder, created if needed; a path that is a file (or lies under one) →
    ParameterError instead of a raw FileExistsError."""
    out = Path(out).resolve()
    if out.exists() and not out.is_dir():
        raise ParameterError(f"--out {out}: is a file; expected a folder for the reports "
                             "(give a folder name, e.g. --out reports)")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ParameterError(f"--out {out}: cannot create the folder ({exc.strerror})") from None
    return out


def report_key(study: str, variant: str | None = None) -> str:
    """Folder name of a run: ``study``, or ``study--variant`` for a declared variant."""
    return study if variant is None else f"{study}--{variant}"


def run_study(name: str, params: dict[str, Any] | None = None, out: str | Path = "reports",
              quick: bool = False, update_index: bool = True,
              variant: str | None = None, label: str | None = None) -> RunResult:
    """Run study ``name`` into ``out/<name>`` (``out/<name>--<variant>`` for a variant,
    ``out/<name>--<label>`` for a named run of a run list); raise StudyRunError if a cell fails.

    Parameters are validated before any cell runs (ParameterError). On failure the previous
    report is left untouched, the attempt is recorded in ``out/_runs/<key>.json`` and the
    partial notebook kept in ``out/_failed/<key>/executed.ipynb``.
    """
    import nbformat
    import papermill

    study = get_study(name)
    values = study.resolve(params, quick=quick, variant=variant)
    key = report_key(name, label or variant)
    out = prepare_out(out)
    tmp = out / f".tmp-{key}-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    started = datetime.now(UTC).isoformat(timespec="seconds")
    t0 = time.perf_counter()
    executed = tmp / "executed.ipynb"
    error: str | None = None
    cell: int | None = None
    with _kernel_env(tmp), _removed_on_interrupt(tmp):
        try:
            papermill.execute_notebook(
                str(study.notebook), str(executed), parameters=values, kernel_name="python3",
                progress_bar=False, log_output=False, cwd=os.getcwd(),
                execution_timeout=CELL_TIMEOUT_S, kernel_manager_class=QuietKernelManager,
            )
        except papermill.PapermillExecutionError as exc:
            cell, error = exc.cell_index, f"{exc.ename}: {exc.evalue}"
        except Exception as exc:  # kernel death, missing kernel, timeout …
            error = f"{type(exc).__name__}: {exc}"
    duration = round(time.perf_counter() - t0, 2)
    result = RunResult(study=key, status="ok" if error is None else "failed", parameters=values,
                       started=started, duration_s=duration, error=error, failed_cell=cell,
                       datasets=_read_datasets_used(tmp))
    record = {**asdict(result), "versions": package_versions(), "git_commit": git_commit()}

    if error is not None:
        failed = out / "_failed" / key
        if failed.exists():
            shutil.rmtree(failed)
        failed.parent.mkdir(parents=True, exist_ok=True)
        snippet = ""
        if executed.exists():
            nb = normalise_notebook(json.loads(executed.read_text(encoding="utf-8")))
            _write_notebook(executed, nb)
            found, message = _failed_cell(nb)  # papermill's index ignores its own error cell
            if found is not None:
                cell = found
                error = error or message
            cell, snippet = _source_cell(nb, cell)
            result.failed_cell, result.error = cell, error
            record.update(failed_cell=cell, error=error, failed_source=snippet)
        shutil.move(str(tmp), str(failed))
        previous = (out / key / "report.html").exists()
        record["previous_report_kept"] = previous
        _write_json(failed / "run.json", record)
        _write_json(out / "_runs" / f"{key}.json", record)
        if update_index:
            write_index(out)
        where = (f"cell {cell} of {study.notebook.name} ({snippet!r})" if cell is not None
                 else "before any cell")
        raise StudyRunError(f"study {key!r} failed at {where}: {error} "
                            f"(partial notebook: {failed / 'executed.ipynb'}; previous report "
                            f"{'kept' if previous else 'none'})")

    nb = normalise_notebook(json.loads(executed.read_text(encoding="utf-8")))
    nbformat.validate(nbformat.from_dict(nb))
    _write_notebook(executed, nb)
    findings = render.extract_findings(nb)
    record["headline"] = findings.get("headline") if findings else None
    record["failed_checks"] = len(findings.get("failed_checks", [])) if findings else None
    (tmp / "report.html").write_text(
        render.notebook_to_html(
            nb, study.title + (f" — variant {variant}" if variant else ""),
            _header(study, values, variant, started, record.get("git_commit")),
            _params_block(values)),
        encoding="utf-8")
    result.report = f"{key}/report.html"
    record["report"] = result.report
    # time per study including normalising and rendering (the index shows it)
    record["execute_s"] = duration
    result.duration_s = record["duration_s"] = round(time.perf_counter() - t0, 2)
    _write_json(tmp / "run.json", record)
    _swap_into_place(tmp, out / key)
    failed = out / "_failed" / key
    if failed.exists():
        shutil.rmtree(failed)
    _write_json(out / "_runs" / f"{key}.json", record)
    if update_index:
        write_index(out)
    return result


def _swap_into_place(new: Path, final: Path) -> None:
    """Replace ``final`` by ``new`` with two renames (old copy removed only afterwards)."""
    old = final.parent / f".old-{final.name}-{os.getpid()}"
    if final.exists():
        os.replace(final, old)
    os.replace(new, final)
    if old.exists():
        shutil.rmtree(old)


@dataclass(frozen=True)
class RunSpec:
    """One run of a build: a study, optionally a declared variant, parameters and a label
    (the folder suffix of a run-list entry: ``out/<study>--<label>``)."""

    study: str
    variant: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    quick: bool = False
    label: str | None = None

    @property
    def key(self) -> str:
        return report_key(self.study, self.label or self.variant)


def default_runs(quick: bool = False, only: list[str] | None = None) -> list[RunSpec]:
    """Every registered study (or ``only`` these) and each of its declared variants."""
    studies = all_studies()
    names = only or list(studies)
    for n in names:
        get_study(n)  # unknown name → ParameterError before anything runs
    return [RunSpec(n, v, quick=quick) for n in names for v in [None, *studies[n].variants]]


#: Environment variables that cap the maths libraries' thread pools (OpenBLAS, MKL, OpenMP,
#: numexpr). ``build`` sets them to 1 per kernel when it runs studies in parallel, so parallel
#: kernels do not oversubscribe the cores.
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
               "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")


@contextlib.contextmanager
def _threads_per_kernel(jobs: int) -> Iterator[None]:
    """With ``jobs`` > 1 parallel studies, one maths thread per kernel (unless the user set
    the variables); the kernels inherit the environment of the build's worker processes."""
    saved = {v: os.environ.get(v) for v in THREAD_VARS}
    if jobs > 1:
        for v in THREAD_VARS:
            os.environ.setdefault(v, "1")
    try:
        yield
    finally:
        for v, value in saved.items():
            if value is None:
                os.environ.pop(v, None)
            else:
                os.environ[v] = value


def _run_for_build(job: tuple[RunSpec, str]) -> RunResult:
    spec, out = job
    name, variant, key = spec.study, spec.variant, spec.key
    t0 = time.perf_counter()
    try:
        return run_study(name, dict(spec.params), out=out, quick=spec.quick, update_index=False,
                         variant=variant, label=spec.label)
    except StudyRunError as exc:  # run_study recorded the attempt in _runs/<key>.json
        rec = json.loads((Path(out).resolve() / "_runs" / f"{key}.json").read_text("utf-8"))
        return RunResult(study=key, status="failed", parameters=rec.get("parameters", {}),
                         started=rec.get("started", ""), duration_s=rec.get("duration_s", 0.0),
                         error=str(exc), failed_cell=rec.get("failed_cell"))
    except Exception as exc:  # e.g. a bad declared parameter: one study must not stop the build
        result = RunResult(study=key, status="failed", parameters={},
                           started=datetime.now(UTC).isoformat(timespec="seconds"),
                           duration_s=round(time.perf_counter() - t0, 2),
                           error=f"{type(exc).__name__}: {exc}")
        _write_json(Path(out).resolve() / "_runs" / f"{key}.json", asdict(result))
        return result


@contextlib.contextmanager
def _removed_on_interrupt(*folders: Path) -> Iterator[None]:
    """Remove ``folders`` (a run's ``.tmp-*`` work folder) when Ctrl-C interrupts the run."""
    try:
        yield
    except KeyboardInterrupt:
        for folder in folders:
            shutil.rmtree(folder, ignore_errors=True)
        raise


def _remove_new_tmp(out: Path, before: set[Path]) -> None:
    for folder in out.glob(".tmp-*"):
        if folder not in before:
            shutil.rmtree(folder, ignore_errors=True)


def build(out: str | Path = "reports", quick: bool = False, jobs: int = 2,
          only: list[str] | None = None, runs: list[RunSpec] | None = None) -> list[RunResult]:
    """Run every study and each of its declared variants (or the given ``runs``, e.g. from a
    run list: :func:`crm_research.runner.publish.read_run_list`) in parallel, ``jobs``
    processes with one maths thread per kernel, then write ``out/index.html``. Ctrl-C stops
    the build and removes its ``.tmp-*`` work folders (earlier reports stay as they were)."""
    out = prepare_out(out)
    specs = runs if runs is not None else default_runs(quick, only)
    args = [(s, str(out)) for s in specs]
    before = set(out.glob(".tmp-*"))
    try:
        with _threads_per_kernel(jobs):
            if jobs <= 1 or len(args) <= 1:
                results = [_run_for_build(a) for a in args]
            else:
                pool = ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn"))
                try:
                    results = list(pool.map(_run_for_build, args))
                finally:  # on Ctrl-C: drop the studies not started yet
                    pool.shutdown(wait=True, cancel_futures=True)
    except KeyboardInterrupt:
        _remove_new_tmp(out, before)
        raise
    write_index(out)
    return results


def write_index(out: str | Path) -> Path:
    """Write ``out/index.html``: every study with what it is for, its one-line headline, its
    latest status, key parameters and link."""
    out = Path(out)
    items = []
    studies = all_studies()
    runs = [(report_key(n, v), s, v) for n, s in studies.items() for v in [None, *s.variants]]
    known = {r[0] for r in runs}
    for rec_file in sorted((out / "_runs").glob("*.json")):  # named runs of a run list
        study_name, sep, label = rec_file.stem.partition("--")
        if rec_file.stem not in known and sep and study_name in studies:
            runs.append((rec_file.stem, studies[study_name], None))
    for name, study, variant in runs:
        rec_path = out / "_runs" / f"{name}.json"
        rec = json.loads(rec_path.read_text(encoding="utf-8")) if rec_path.exists() else None
        has_report = (out / name / "report.html").exists()
        if rec is None:
            status = "<span>not run</span>"
        elif rec["status"] == "ok":
            status = "<span class='status-ok'>ok</span>"
        else:
            status = (f"<span class='status-failed'>failed</span> at cell {rec.get('failed_cell')}:"
                      f" {html.escape(str(rec.get('error', ''))[:300])}"
                      + (" (previous report kept)" if has_report else ""))
        params = rec.get("parameters", {}) if rec else study.resolve(variant=variant)
        key = ", ".join(f"{k}={params.get(k)!r}" for k in study.key_parameters)
        label = name.partition("--")[2]
        title = study.title + (f" — variant {variant}" if variant
                               else f" — run {label}" if label else "")
        link = (f"<a href='{html.escape(name)}/report.html'>{html.escape(title)}</a>"
                if has_report else html.escape(title))
        parts = [f"<div class='title'>{link}</div>"]
        if study.purpose:
            parts.append(f"<div class='purpose'>{html.escape(study.purpose)}</div>")
        headline = rec.get("headline") if rec and has_report else None
        if rec and headline:
            failed = rec.get("failed_checks") or 0
            flag = (f" <span class='badge bad'>{failed} failed check{'s' if failed > 1 else ''}"
                    "</span>" if failed else "")
            parts.append(f"<p class='headline'>{html.escape(headline)}{flag}</p>")
        when = html.escape(rec.get("started", "")[:16].replace("T", " ")) if rec else ""
        dur = f"{rec.get('duration_s', 0):.1f} s" if rec else ""
        parts.append(f"<div class='meta'>{status} · <code>{html.escape(name)}</code>"
                     + (f" · {when} UTC · {dur}" if rec else "")
                     + f" · {html.escape(key)}</div>")
        items.append(f"<li>{''.join(parts)}</li>")
    body = (
        "<div class='page'><header class='report'><h1>crm-research reports</h1>"
        "<p class='lead'>CRM success factors, customer-loyalty drivers and the impact of eCRM: "
        "one report per study, rebuilt from the bundled data by <code>make reports</code>. "
        "Each report opens with its key findings and failed checks.</p></header>"
        f"<main><ul class='studies'>{''.join(items)}</ul></main></div>"
    )
    page = render.mark_rtl(body)
    path = out / "index.html"
    tmp = out / f".index.html.tmp{os.getpid()}"
    tmp.write_text(render.page("crm-research reports", page), encoding="utf-8")
    os.replace(tmp, path)
    return path
