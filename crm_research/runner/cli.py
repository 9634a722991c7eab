"""Command line: ``crm-research list | datasets | run | build`` (thin over pipeline/studies)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from crm_research.errors import CRMResearchError, ParameterError


def _cmd_list(args: argparse.Namespace) -> int:
    from crm_research.runner.registry import all_studies

    for name, study in all_studies().items():
        print(f"{name}: {study.title}")
        if study.summary:
            print(f"    {study.summary[:200]}")
        for p in study.parameters.values():
            extra = []
            if p.allowed is not None:
                extra.append(f"allowed {list(p.allowed)}")
            if p.min is not None:
                extra.append(f"min {p.min:g}")
            if p.max is not None:
                extra.append(f"max {p.max:g}")
            if p.nullable:
                extra.append("may be none")
            tail = f" [{'; '.join(extra)}]" if extra else ""
            print(f"    -p {p.name} ({p.type}, default {p.default!r}){tail}: {p.help}")
        if study.quick:
            print(f"    quick: {study.quick}")
        for variant, values in study.variants.items():
            print(f"    variant {variant}: {values}")
        print()
    return 0


def _cmd_datasets(args: argparse.Namespace) -> int:
    from crm_research.data import datasets

    for info in datasets.REGISTRY.values():
        print(f"{info.name}: {info.title}")
        print(f"    file data/raw/{info.file}  {info.rows} x {info.cols}  kind {info.kind}"
              + (f"  codebook {info.codebook}" if info.codebook else ""))
        print(f"    source: {info.source}")
        print(f"    licence: {info.licence}   sha256 {info.sha256}")
        for note in info.notes:
            print(f"    note: {note}")
        if args.verify:
            datasets.verified_path(info.name)
            print("    checksum: ok")
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from crm_research.runner.pipeline import run_study

    params: dict[str, str] = {}
    for name, value in args.param or []:
        params[name] = value
    res = run_study(args.study, params, out=args.out, quick=args.quick, variant=args.variant)
    print(f"{res.study}: ok in {res.duration_s:.1f} s -> {args.out}/{res.report}")
    return 0


def _cmd_build(args: argparse.Namespace) -> int:
    from crm_research.runner.pipeline import build
    from crm_research.runner.publish import read_run_list, write_zip

    if args.runs and (args.only or args.quick):
        raise ParameterError("--runs lists the runs itself: use it without --only/--quick "
                             "(give 'quick: true' per run in the file)")
    runs = read_run_list(args.runs) if args.runs else None
    results = build(out=args.out, quick=args.quick, jobs=args.jobs, only=args.only or None,
                    runs=runs)
    bad = 0
    for r in results:
        if r.status == "ok":
            print(f"{r.study}: ok in {r.duration_s:.1f} s")
        else:
            bad += 1
            print(f"{r.study}: FAILED — {r.error}", file=sys.stderr)
    print(f"index: {args.out}/index.html ({len(results) - bad} ok, {bad} failed)")
    if args.zip:
        print(f"site zip: {write_zip(args.out, args.zip)}")
    return 1 if bad else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="crm-research",
        description="Parameterised CRM research studies rendered as HTML reports.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("list", help="studies and their parameters")
    p.set_defaults(func=_cmd_list)
    p = sub.add_parser("datasets", help="bundled data sets with shape and provenance")
    p.add_argument("--verify", action="store_true", help="also verify every checksum")
    p.set_defaults(func=_cmd_datasets)
    p = sub.add_parser("run", help="run one study into OUT/STUDY")
    p.add_argument("study")
    p.add_argument("-p", "--param", nargs=2, action="append", metavar=("NAME", "VALUE"),
                   help="set a study parameter (repeatable); lists as a,b,c or JSON")
    p.add_argument("--out", default="reports", help="output folder (default: reports)")
    p.add_argument("--quick", action="store_true", help="start from the study's quick parameters")
    p.add_argument("--variant", help="start from one of the study's declared variants")
    p.set_defaults(func=_cmd_run)
    p = sub.add_parser("build", help="run every study and write OUT/index.html")
    p.add_argument("--quick", action="store_true", help="each study's small parameter set (CI)")
    p.add_argument("--out", default="reports", help="output folder (default: reports)")
    p.add_argument("--jobs", type=int, default=2, help="studies run in parallel (default 2)")
    p.add_argument("--only", nargs="*", help="restrict to these studies")
    p.add_argument("--runs", metavar="FILE",
                   help="build the runs listed in a YAML run list instead (see "
                        "notebooks/runs/example.yaml)")
    p.add_argument("--zip", metavar="FILE", help="also write the built site as one zip file")
    p.set_defaults(func=_cmd_build)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except CRMResearchError as exc:
        print(f"crm-research: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # Ctrl-C: one line, no traceback, the shell's code for SIGINT
        print("crm-research: interrupted (Ctrl-C); unfinished runs were discarded, earlier "
              "reports are unchanged", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
