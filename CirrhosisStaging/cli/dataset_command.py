"""`cirrhosis-staging dataset ROOT`: what a CirrMRI600+ release (or the CHAOS folder) holds."""

from __future__ import annotations

import json

from ..data import CirrMRIDataset, list_chaos_cases


def register(subparsers) -> None:
    parser = subparsers.add_parser("dataset", help="summarise a CirrMRI600+ release or CHAOS folder",
                                   description="Index a dataset folder with the same reader training uses and print "
                                               "its counts (patients per split, sequences, stages, pairs) as JSON.")
    parser.add_argument("root", help="CirrMRI600+ release folder (or phantom output), or a CHAOS folder with --chaos")
    parser.add_argument("--chaos", action="store_true", help="the folder holds CHAOS image_<id>/label_<id> pairs")
    parser.add_argument("--list", action="store_true", help="also list every patient with stage and files")
    parser.set_defaults(func=run)


def run(args) -> int:
    if args.chaos:
        cases = list_chaos_cases(args.root)
        summary = {"root": args.root, "subjects": len(cases)}
        if args.list:
            summary["cases"] = [{"id": c.subject_id, "image": str(c.image), "label": str(c.label)} for c in cases]
    else:
        dataset = CirrMRIDataset(args.root)
        summary = dataset.summary()
        if args.list:
            summary["cases"] = [
                {"id": p.patient_id, "split": p.split, "stage": p.stage_name,
                 **{seq: str(p.series(seq).image) for seq in p.sequences}}
                for p in dataset.patients(include_healthy=True)]
    print(json.dumps(summary, indent=2))
    return 0
