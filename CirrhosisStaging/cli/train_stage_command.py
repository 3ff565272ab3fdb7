"""`cirrhosis-staging train-stage --data RELEASE --out RUN`: train the staging network on a CirrMRI600+ layout."""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import InputError
from ..training.distributed import is_main_process
from ..training.run_folder import check_start_weights, run_folder


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "train-stage", help="train the staging network on a CirrMRI600+ release (or phantom release)",
        description="Train on the release's train split (stages from Metadata/*.csv, liver masks from *_masks), "
                    "select and calibrate on its valid split. Patient-level splits as published; class-weighted "
                    "loss; augmentation; checkpoints every epoch in --out (running again resumes). Multi-GPU: "
                    "torchrun --nproc_per_node=N -m CirrhosisStaging.cli.main train-stage ...")
    parser.add_argument("--data", required=True, action="append",
                        help="CirrMRI600+ release folder (or phantom / simulate output); give it again to train on "
                             "several releases together (each one's train split trains, its valid split selects)")
    parser.add_argument("--out", required=True, help="run folder")
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--minutes", type=float, help="wall-clock budget; the schedule anneals within it")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    parser.add_argument("--init-weights", metavar="PT",
                        help="start the image encoders from these weights (e.g. an earlier model's .pt); the "
                             "biomarker branch always starts from the logistic baseline fitted on the train split")
    parser.add_argument("--no-resume", action="store_true")
    parser.add_argument("--publish", metavar="NAME:VERSION",
                        help="when done, copy the calibrated weights next to the model manifest and register them")
    parser.set_defaults(func=run)


def run(args) -> int:
    from ..staging.training.cases import load_cases
    from ..staging.training.trainer import StagingTrainingConfig, train_staging

    train_cases = [case for root in args.data for case in _tagged(load_cases(root, "train"), root, len(args.data))]
    val_cases = [case for root in args.data for case in _tagged(load_cases(root, "valid"), root, len(args.data))]
    if not train_cases:
        raise InputError(args.data[0], "no staged patients with masks in the train split")
    out = Path(args.out)
    check_start_weights(out, args.init_weights, resume=not args.no_resume)
    config = StagingTrainingConfig(out_dir=out, epochs=args.epochs, batch_size=args.batch_size,
                                   learning_rate=args.learning_rate, seed=args.seed, device=args.device,
                                   max_minutes=args.minutes,
                                   init_weights=Path(args.init_weights) if args.init_weights else None)
    with run_folder(out):
        history = train_staging(config, train_cases, val_cases, resume=not args.no_resume)
    if not is_main_process():
        return 0   # under torchrun, rank 0 alone writes the history and publishes (its history is the whole one)
    (out / "history.json").write_text(json.dumps(history, indent=2))
    print(f"best weights: {out / 'best.pt'}")
    if args.publish:
        from ..staging.training.publish import publish_staging

        name, _, version = args.publish.partition(":")
        print(f"published {publish_staging(out, name, version or '1.0.0', args.data)}")
    return 0


def _tagged(cases, root, releases: int):
    """With several releases, patient ids are prefixed with the release folder's name (ids repeat across them)."""
    if releases > 1:
        for case in cases:
            case.patient_id = f"{Path(root).name}/{case.patient_id}"
    return cases
