"""`cirrhosis-staging run --t1 T1 [--t2 T2] --out DIR`: the whole job for one case (DESIGN section 4)."""

from __future__ import annotations

import json


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "run", help="segment, stage, explain and report one case",
        description="Segment the liver and spleen (unless masks are given), stage cirrhosis (mild / moderate / "
                    "severe), compute biomarkers and Grad-CAM attention, and write masks, Slicer segmentations, "
                    "attention maps, result.json, report.png and report.pdf into --out. Given masks re-stage "
                    "with them (no re-segmentation). The folder appears complete or not at all.")
    add_case_arguments(parser)
    parser.add_argument("--out", required=True, help="output folder (replaced only with --overwrite)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing output folder")
    parser.add_argument("--progress-lines", action="store_true",
                        help="print 'step: NAME' on stdout as each step starts (for a parent process, e.g. Slicer)")
    add_model_arguments(parser)
    parser.set_defaults(func=run)


def add_case_arguments(parser) -> None:
    parser.add_argument("--t1", help="T1-weighted volume (file or DICOM folder)")
    parser.add_argument("--t2", help="T2-weighted volume (file or DICOM folder)")
    parser.add_argument("--t1-mask", help="liver mask (or labels: 1 liver, 4 spleen) on the T1 grid: re-stage with it")
    parser.add_argument("--t2-mask", help="liver mask (or labels: 1 liver, 4 spleen) on the T2 grid: re-stage with it")
    parser.add_argument("--age", type=float, help="age in years (with --ast, --alt, --platelets: FIB-4, APRI)")
    parser.add_argument("--ast", type=float, help="AST in U/L")
    parser.add_argument("--alt", type=float, help="ALT in U/L")
    parser.add_argument("--platelets", type=float, help="platelets in 10^9/L")
    parser.add_argument("--case-label", help="label printed on the report (no patient names by default)")


def add_model_arguments(parser) -> None:
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    parser.add_argument("--allow-download", action="store_true",
                        help="allow downloading missing weights from the manifest's URL (checked by sha256)")


def clinical_from(args):
    values = [args.age, args.ast, args.alt, args.platelets]
    if all(v is None for v in values):
        return None
    from ..errors import InputError

    if any(v is None for v in values):
        raise InputError(None, "clinical scores need all of --age, --ast, --alt and --platelets")
    from ..biomarkers import ClinicalInputs

    return ClinicalInputs(args.age, args.ast, args.alt, args.platelets)


def _print_step(name: str) -> None:
    print(f"step: {name}", flush=True)


def run(args) -> int:
    from ..pipeline.run_case import CasePipeline

    pipeline = CasePipeline(args.device, args.allow_download)
    result = pipeline.run(args.out, args.t1, args.t2, args.t1_mask, args.t2_mask, clinical_from(args),
                          args.case_label, overwrite=args.overwrite,
                          on_step=_print_step if args.progress_lines else None)
    summary = {"stage": result["stage"], "probabilities": {k: round(v, 3) for k, v in result["probabilities"].items()},
               "liver_volume_ml": result["liver_volume_ml"], "out": args.out,
               "seconds": result["timing_seconds"]["total"], "notice": result["notice"]}
    print(json.dumps(summary, indent=2))
    return 0
