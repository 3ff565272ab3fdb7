"""`cirrhosis-staging combine-seg`: ship published segmentation models as one ensemble."""

from __future__ import annotations


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "combine-seg", help="combine published segmentation models into one ensemble model",
        description="Write one weights file holding every member's weights and register it in the model manifest "
                    "as an ensemble: each member runs in its own model space and their organ probabilities are "
                    "averaged on the input's grid before edge refinement and the argmax.")
    parser.add_argument("members", nargs="+", metavar="MODEL",
                        help="segmentation models in the manifest (name for the newest version, or name-version)")
    parser.add_argument("--publish", required=True, metavar="NAME:VERSION", help="name and version of the ensemble")
    parser.set_defaults(func=run)


def run(args) -> int:
    from ..segmentation.training.publish import publish_ensemble

    name, _, version = args.publish.partition(":")
    weights = publish_ensemble(args.members, name, version or "1.0.0")
    print(f"published {weights}")
    return 0
