"""A research group's own runs, and the built site as one file (issue 16).

**Run lists.** ``crm-research build --runs FILE`` builds the runs listed in a YAML file instead
of the registered studies, e.g. a group's parameter sets in its own CI::

    runs:
      - study: customer_value            # a study of notebooks/*.yaml
        name: shop-2024                  # report folder OUT/customer_value--shop-2024
        params: {dataset: data/shop_2024.parquet, horizon: 24}
      - study: loyalty_drivers
        variant: corp_rep                # a declared variant (folder loyalty_drivers--corp_rep)
      - study: crm_primer                # the default run (folder crm_primer)
        quick: true

Every entry is checked before anything runs (unknown study, variant or parameter, a bad value,
two runs writing the same folder) and the error names the file and the entry (counted from 1).

**Site zip.** :func:`write_zip` packs the built site (reports, tables, figures, index) into one
deterministic zip: entries sorted, fixed timestamps, the build's private folders left out.
"""

from __future__ import annotations

import os
import re
import zipfile
from pathlib import Path
from typing import Any

import yaml

from crm_research.errors import CRMResearchError, ParameterError, SpecError
from crm_research.runner.pipeline import RunSpec
from crm_research.runner.registry import get_study

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
_ENTRY_KEYS = {"study", "name", "variant", "params", "quick"}
#: Fixed timestamp of every zip entry (the zip format's earliest date), so the same site gives
#: byte-identical zips.
ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def read_run_list(path: str | os.PathLike[str]) -> list[RunSpec]:
    """The runs of a run-list YAML file (format in the module docstring), all validated."""
    p = Path(path)
    if not p.is_file():
        raise SpecError(f"run list {str(p)!r} does not exist (expected a YAML file)")
    try:
        raw = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise SpecError(f"run list {p}: invalid YAML: {exc}") from exc
    entries = raw.get("runs") if isinstance(raw, dict) else None
    if not isinstance(entries, list) or not entries:
        raise SpecError(f"run list {p}: expected a mapping with a non-empty list 'runs'")
    specs: list[RunSpec] = []
    seen: dict[str, int] = {}
    for i, entry in enumerate(entries, start=1):
        where = f"run list {p}, run {i}"
        spec = _parse_entry(entry, where)
        if spec.key in seen:
            raise SpecError(f"{where}: writes the same report folder {spec.key!r} as run "
                            f"{seen[spec.key]}; give it another 'name'")
        seen[spec.key] = i
        specs.append(spec)
    return specs


def _parse_entry(entry: Any, where: str) -> RunSpec:
    if not isinstance(entry, dict) or "study" not in entry:
        raise SpecError(f"{where}: expected a mapping with at least 'study'")
    unknown = set(entry) - _ENTRY_KEYS
    if unknown:
        raise SpecError(f"{where}: unknown key(s) {sorted(unknown)}; allowed: "
                        f"{sorted(_ENTRY_KEYS)}")
    name = entry.get("name")
    if name is not None and (not isinstance(name, str) or not _NAME.match(name)):
        raise SpecError(f"{where}: name {name!r} must be 1-63 lower-case letters, digits, '-' "
                        "or '_' (it becomes part of a folder name)")
    if name is not None and entry.get("variant") is not None:
        raise SpecError(f"{where}: give either 'name' or 'variant', not both")
    params = entry.get("params") or {}
    if not isinstance(params, dict):
        raise SpecError(f"{where}: 'params' must be a mapping of parameter names to values")
    quick = entry.get("quick", False)
    if not isinstance(quick, bool):
        raise SpecError(f"{where}: 'quick' must be true or false, got {quick!r}")
    try:
        study = get_study(str(entry["study"]))
        study.resolve(params, quick=quick, variant=entry.get("variant"))
    except CRMResearchError as exc:
        raise SpecError(f"{where}: {exc}") from exc
    return RunSpec(study.name, entry.get("variant"), dict(params), quick, name)


def _site_files(site: Path) -> list[Path]:
    """Files of the built site, sorted; the build's private folders (``_runs``, ``_failed``,
    ``.tmp-*`` work folders, browser screenshots) are left out."""
    files = []
    for f in site.rglob("*"):
        rel = f.relative_to(site)
        if not f.is_file() or rel.parts[0].startswith((".", "_")):
            continue
        files.append(f)
    return sorted(files, key=lambda f: f.relative_to(site).as_posix())


def write_zip(site: str | os.PathLike[str], zip_path: str | os.PathLike[str]) -> Path:
    """Zip the built site ``site`` into ``zip_path`` (deterministic; written atomically)."""
    site, target = Path(site).resolve(), Path(zip_path).resolve()
    if not (site / "index.html").is_file():
        raise ParameterError(f"--zip: {site} holds no built site (no index.html)")
    if target.is_dir():
        raise ParameterError(f"--zip {target} is a folder; expected a file name ending in .zip")
    files = [f for f in _site_files(site) if f.resolve() != target]
    tmp = target.with_name(f".{target.name}.tmp{os.getpid()}")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for f in files:
            info = zipfile.ZipInfo(f.relative_to(site).as_posix(), date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, f.read_bytes())
    os.replace(tmp, target)
    return target
