"""`cirrhosis-staging combine-seg`: ship published segmentation models as one ensemble."""

from __future__ import annotations


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "combine-seg", help="combine published segmentation models into one ensemble model",
        description="Write one weights file holding every member's weights and register it in the model manifest "
                    "as an ensemble: each member runs in its own model space and their organ probabilities are "
                    "averaged on the input's grid before edge refinement and the argmax.")
    parser.add_argument("members", nargs="*", metavar="MODEL",
                        help="segmentation models in the manifest (name for the newest version, or name-version)")
    parser.add_argument("--runs", nargs="+", metavar="DIR",
                        help="instead of models: cross-validation fold runs (train-seg --folds K --fold I), shipped "
                             "together, each at its last epoch")
    parser.add_argument("--cross-validation", metavar="JSON",
                        help="with --runs: the cross-validated figures to record (cross_validate_segmentation.py "
                             "--json)")
    parser.add_argument("--slice-smoothing", type=float, default=0.0, metavar="W",
                        help="with --runs of 2.5D networks: average each member's probabilities across neighbouring "
                             "slices at weight W each (0.3 for liver-spleen-folds 1.5.0; default 0: none)")
    parser.add_argument("--min-slice-spacing", type=float, default=0.0, metavar="MM",
                        help="with --runs of 2.5D networks: resample scans with thinner slices to MM before each "
                             "member (5.7 for liver-spleen-folds 1.5.0; default 0: never)")
    parser.add_argument("--publish", required=True, metavar="NAME:VERSION", help="name and version of the ensemble")
    parser.set_defaults(func=run)


def run(args) -> int:
    from ..errors import InputError
    from ..segmentation.cross_validation import cross_validation_record
    from ..segmentation.training.publish import publish_ensemble
    from ..segmentation.training.publish_folds import publish_fold_ensemble

    name, _, version = args.publish.partition(":")
    if bool(args.members) == bool(args.runs):
        raise InputError(None, "give either published models or --runs, not both or neither")
    if args.runs:
        figures = cross_validation_record(args.cross_validation) if args.cross_validation else None
        weights = publish_fold_ensemble(args.runs, name, version or "1.0.0", figures,
                                        slice_smoothing=args.slice_smoothing,
                                        min_slice_spacing_mm=args.min_slice_spacing)
    else:
        weights = publish_ensemble(args.members, name, version or "1.0.0")
    print(f"published {weights}")
    return 0
