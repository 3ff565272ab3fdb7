"""`cirrhosis-staging train-seg`: train the liver/spleen network on CHAOS, CirrMRI600+ and/or phantom releases."""

from __future__ import annotations

import json
from pathlib import Path

from ..data import patient_split
from ..errors import InputError
from ..preprocessing.intensity import NORMALIZATIONS
from ..segmentation.training import SHAPE_AUGMENTATIONS
from ..training.distributed import is_main_process
from ..training.run_folder import check_start_weights, run_folder


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "train-seg", help="train the segmentation network",
        description="Train the liver/spleen/kidney segmentation network. Sources can be mixed: a CHAOS folder "
                    "(image_<id>/label_<id>), CirrMRI600+ releases (liver masks only: other organs are treated as "
                    "unlabelled, not background) and phantom releases (all organs). Checkpoints every epoch in "
                    "--out; running the same command again resumes. Multi-GPU: torchrun --nproc_per_node=N -m "
                    "CirrhosisStaging.cli.main train-seg ...")
    parser.add_argument("--chaos", help="CHAOS folder; --val-fraction of its subjects are held out for validation")
    parser.add_argument("--cirrmri", action="append", default=[],
                        help="CirrMRI600+ release (or phantom release); train split trains, valid split validates "
                             "(repeatable)")
    parser.add_argument("--out", required=True, help="run folder (checkpoints, config, history, split)")
    parser.add_argument("--spacing", default="2.5,2.5,5", metavar="X,Y,Z",
                        help="model spacing in mm (default 2.5,2.5,5); the patch covers 320 x 320 x 160 mm at any "
                             "spacing; Z 0 keeps each scan's own slices (with --context-slices)")
    parser.add_argument("--context-slices", type=int, default=0, metavar="K",
                        help="train a 2.5D network instead of a 3D one: 2D, each slice with K slices either side as "
                             "input channels, patches of 320 x 320 mm in plane (default 0: 3D)")
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--iterations", type=int, default=50, help="training steps per epoch")
    parser.add_argument("--batch-size", type=int, default=2)
    parser.add_argument("--learning-rate", type=float, default=2e-3)
    parser.add_argument("--minutes", type=float, help="stop after the epoch that passes this wall-clock budget")
    parser.add_argument("--val-fraction", type=float, default=0.2, help="CHAOS subjects held out (default 0.2)")
    parser.add_argument("--folds", type=int, metavar="K",
                        help="cross-validation: deal the CHAOS subjects into K folds by subject (seeded by "
                             "--split-seed) and hold out fold --fold; the last epoch is kept (nothing is chosen on the "
                             "held-out subjects). Replaces --val-fraction")
    parser.add_argument("--fold", type=int, metavar="I", help="which fold (0 to K-1) this run holds out")
    parser.add_argument("--organ-augmentation", action="store_true",
                        help="also darken or brighten liver and spleen on their own (vessels kept) and draw "
                             "fluid-filled structures beside the liver (the 2.x recipe)")
    parser.add_argument("--organ-contrast-prob", type=float, default=0.4, metavar="P",
                        help="with --organ-augmentation: share of patches whose liver and spleen are darkened or "
                             "brightened (default 0.4)")
    parser.add_argument("--organ-darkest", type=float, default=0.3, metavar="F",
                        help="with --organ-augmentation: the darkest intensity factor, about the body's dark end "
                             "(default 0.3; iron overload can make a liver darker still)")
    parser.add_argument("--organ-fluid-rim-prob", type=float, default=0.0, metavar="P",
                        help="with --organ-augmentation: share of patches given ascites, a fluid rim against the "
                             "liver or spleen (default 0: the 2.x recipe)")
    parser.add_argument("--normalization", choices=tuple(NORMALIZATIONS), default="zscore",
                        help="body intensity normalisation: zscore (mean, standard deviation; the 1.x weights), "
                             "robust (median, interquartile range; 2.0.0 to 2.3.0) or robust-body (median and "
                             "interquartile range over the whole body, which a dark liver or a bright stomach "
                             "cannot shrink: preprocessing.intensity.whole_body_mask)")
    parser.add_argument("--volume-cache", metavar="DIR",
                        help="keep prepared training volumes here (.npz) and reuse them (folds, GPU machines)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--split-seed", type=int, metavar="N",
                        help="seed that picks the held-out CHAOS subjects (default: --seed); give models you will "
                             "combine the same split seed, so the ensemble keeps subjects no member trained on")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    parser.add_argument("--workers", type=int, default=0,
                        help="processes drawing augmented batches (default 0: in the training process; on a GPU use "
                             "about one per CPU core, or the GPU waits for augmentation)")
    parser.add_argument("--weight", action="append", default=[], metavar="PREFIX=W",
                        help="sampling weight for items whose name starts with PREFIX (e.g. chaos=2)")
    parser.add_argument("--init-weights", metavar="PT",
                        help="fine-tune: start from these weights (same architecture), e.g. a shipped model's .pt")
    parser.add_argument("--select-on", metavar="SOURCE",
                        help="keep as best.pt the epoch with the best liver Dice on this source's validation series "
                             "(default: chaos when --chaos is given, else all validation series together)")
    parser.add_argument("--shape-augmentation", choices=SHAPE_AUGMENTATIONS, default="affine",
                        help="affine: in-plane rotation and scaling (default, the shipped 1.x recipe); deform: also "
                             "in-plane shear, wider scaling and a smooth grid distortion (more liver shapes)")
    parser.add_argument("--no-resume", action="store_true", help="start again even if --out has a checkpoint")
    parser.add_argument("--publish", metavar="NAME:VERSION",
                        help="when done, copy the best weights next to the model manifest and register them")
    parser.add_argument("--publish-sequences", default="t1,t2", metavar="LIST",
                        help="sequences the published model is the default for (default t1,t2; e.g. t2 where "
                             "another model does better on T1W)")
    parser.add_argument("--recipe-cross-validation", metavar="CV_JSON",
                        help="with --val-fraction 0 (every subject trained on): the same recipe's cross-validation "
                             "report (Testing/benchmarks/cross_validate_segmentation.py --json), recorded as the "
                             "published model's figure")
    parser.set_defaults(func=run)


def run(args) -> int:
    from ..segmentation.training.sources import chaos_items, cirrmri_items
    from ..segmentation.training.folds import held_out_fold
    from ..segmentation.training.organ_augmentation import OrganAugmentation

    if args.context_slices < 0:
        raise InputError(None, f"--context-slices {args.context_slices} must be 0 (3D) or a positive number of slices")
    try:   # the settings' own rule, before any data is read
        OrganAugmentation(contrast_prob=args.organ_contrast_prob, darkest=args.organ_darkest,
                          rim_prob=args.organ_fluid_rim_prob)
    except ValueError as error:
        raise InputError(None, f"--organ-contrast-prob {args.organ_contrast_prob:g} --organ-darkest "
                               f"{args.organ_darkest:g} --organ-fluid-rim-prob {args.organ_fluid_rim_prob:g}: "
                               f"{error}") from None
    spacing = _spacing(args.spacing, planar=args.context_slices > 0)
    train, validation = [], []
    split_seed = args.seed if args.split_seed is None else args.split_seed
    if args.chaos:
        items = chaos_items(args.chaos)
        if args.folds is not None:
            held_out = held_out_fold([item.group for item in items], args.folds, args.fold, split_seed, args.chaos)
        else:
            _, held_out = patient_split([item.group for item in items], (1 - args.val_fraction, args.val_fraction),
                                        split_seed)
        train += [item for item in items if item.group not in held_out]
        validation += [item for item in items if item.group in held_out]
    for root in args.cirrmri:
        train += cirrmri_items(root, ("train",))
        validation += cirrmri_items(root, ("valid",))
    if not train:
        raise InputError(args.out, "no training data: give --chaos and/or --cirrmri with labelled volumes")
    check_start_weights(Path(args.out), args.init_weights, resume=not args.no_resume)
    if not args.publish and (args.recipe_cross_validation or args.publish_sequences != "t1,t2"):
        raise InputError(None, "--publish-sequences and --recipe-cross-validation describe a model to --publish")
    if args.recipe_cross_validation and validation and any(item.group.startswith("chaos-") for item in validation):
        raise InputError(args.recipe_cross_validation, "a recipe's cross-validated figure is for a network trained on "
                                                       "every CHAOS subject: give --val-fraction 0")
    publishing = _publishing(args) if args.publish else None   # a bad report is refused now, not after training
    with run_folder(Path(args.out)) as out:
        _train(args, out, spacing, train, validation)
    if not is_main_process():
        return 0   # under torchrun, rank 0 alone reports and publishes (it wrote the checkpoints and history)
    print(f"best weights: {out / 'best.pt'}")
    if args.publish:
        from ..segmentation.training.publish import publish_segmentation

        name, _, version = args.publish.partition(":")
        weights = publish_segmentation(out, name, version or "1.0.0", training_data=_describe(train), **publishing)
        print(f"published {weights}")
    return 0


def _train(args, out: Path, spacing, train, validation) -> None:
    from ..segmentation.training.trainer import LAST_EPOCH, TrainingConfig, train_segmentation

    split = {"train": [i.name for i in train], "validation": [i.name for i in validation]}
    if args.folds is not None:
        split.update(folds=args.folds, fold=args.fold, split_seed=args.seed if args.split_seed is None else args.split_seed)
    (out / "split.json").write_text(json.dumps(split, indent=2))
    # Cross-validation keeps the last epoch: nothing is chosen on the subjects the fold scores.
    select_on = LAST_EPOCH if args.folds is not None else args.select_on or ("chaos" if args.chaos else None)
    config = TrainingConfig(out_dir=out, spacing_xyz=spacing, epochs=args.epochs, iterations_per_epoch=args.iterations,
                            batch_size=args.batch_size, learning_rate=args.learning_rate, seed=args.seed,
                            device=args.device, max_minutes=args.minutes, source_weights=_weights(args.weight),
                            init_weights=Path(args.init_weights) if args.init_weights else None,
                            workers=max(args.workers, 0), select_on=select_on,
                            shape_augmentation=args.shape_augmentation, context_slices=args.context_slices,
                            organ_augmentation=args.organ_augmentation, organ_contrast_prob=args.organ_contrast_prob,
                            organ_darkest=args.organ_darkest, organ_rim_prob=args.organ_fluid_rim_prob,
                            normalization=args.normalization,
                            volume_cache=Path(args.volume_cache) if args.volume_cache else None)
    train_segmentation(config, train, validation, resume=not args.no_resume)


def _publishing(args) -> dict:
    """What --publish records besides the weights: the sequences it is for, and the recipe's cross-validation."""
    from ..segmentation.cross_validation import cross_validation_record

    sequences = tuple(s.strip() for s in args.publish_sequences.split(",") if s.strip())
    if not sequences or not set(sequences) <= {"t1", "t2"}:
        raise InputError(None, f"--publish-sequences {args.publish_sequences!r} must list t1 and/or t2")
    figures = cross_validation_record(args.recipe_cross_validation) if args.recipe_cross_validation else None
    return {"sequences": sequences, "recipe_cross_validation": figures}


def _describe(items) -> str:
    """Training data in words for the manifest: CHAOS subject ids, then other sources by count."""
    chaos = [item.group.removeprefix("chaos-") for item in items if item.group.startswith("chaos-")]
    others = len(items) - len(chaos)
    parts = [f"CHAOS T2-SPIR subjects {', '.join(chaos)} (n={len(chaos)})"] if chaos else []
    if others:
        parts.append(f"{others} series from CirrMRI600+-layout releases (phantoms or real)")
    return "; ".join(parts)


def _spacing(text: str, planar: bool = False) -> tuple:
    """X, Y, Z in mm; a 2.5D network may take Z 0 (each scan's own slices)."""
    try:
        spacing = tuple(float(v) for v in text.split(","))
    except ValueError:
        spacing = ()
    if len(spacing) != 3 or min(spacing[:2]) <= 0 or spacing[2] < 0 or (spacing[2] == 0 and not planar):
        raise InputError(None, f"--spacing {text!r} must be three positive numbers in mm, e.g. 2.5,2.5,5 (Z may be 0, "
                               f"each scan's own slices, with --context-slices)")
    return spacing


def _weights(pairs) -> dict:
    weights = {}
    for pair in pairs:
        prefix, _, value = pair.partition("=")
        try:
            weights[prefix] = float(value)
        except ValueError:
            raise InputError(None, f"--weight {pair!r} must look like PREFIX=NUMBER") from None
    return weights
