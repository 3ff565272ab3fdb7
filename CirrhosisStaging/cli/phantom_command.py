"""`cirrhosis-staging phantom --out DIR --cases N --seed S`: synthetic cases in the CirrMRI600+ layout."""

from __future__ import annotations

from ..errors import InputError
from ..io.output_checks import check_output_folder


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "phantom", help="generate synthetic T1W/T2W cases in the CirrMRI600+ release layout",
        description="Abdomen-like phantoms (liver with lobes and vessels, spleen, kidneys, spine, fat) whose "
                    "cirrhosis stage changes surface nodularity, caudate/right-lobe balance, texture, ascites and "
                    "spleen size, with varied acquisition (noise, bias field, slice thickness, orientation, field "
                    "of view). T1W and T2W of a patient lie on different grids. Deterministic for a seed.")
    parser.add_argument("--out", required=True, help="output folder (must not exist unless --overwrite)")
    parser.add_argument("--cases", type=int, default=10, help="cirrhosis patients (default 10)")
    parser.add_argument("--healthy", type=int, default=2, help="healthy subjects (default 2)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--size-scale", type=float, default=1.0,
                        help="voxels per axis relative to the default (0.5: half, for quick tests)")
    parser.add_argument("--liver-tail-fraction", type=float, default=0.0, metavar="P",
                        help="share of patients whose left lobe reaches around the spleen (default 0; for "
                             "segmentation training, so networks see that variant)")
    parser.add_argument("--no-2d", action="store_true", help="skip the Cirrhosis_T2_2D slice PNGs")
    parser.add_argument("--workers", type=int, default=1, help="parallel processes")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing --out folder")
    parser.add_argument("--preview", help="also write a PNG with one T1W/T2W case per stage")
    parser.set_defaults(func=run)


def run(args) -> int:
    if args.cases < 0 or args.healthy < 0 or args.cases + args.healthy == 0:
        raise InputError(args.out, "--cases and --healthy must be non-negative and not both 0")
    if not 0.1 <= args.size_scale <= 4:
        raise InputError(args.out, "--size-scale must be between 0.1 and 4")
    if not 0 <= args.liver_tail_fraction <= 1:
        raise InputError(args.out, "--liver-tail-fraction must be between 0 and 1")
    check_output_folder(args.out, args.overwrite, min_free_bytes=0)
    from ..phantom import write_release

    root = write_release(args.out, cases=args.cases, seed=args.seed, healthy=args.healthy,
                         with_2d=not args.no_2d, size_scale=args.size_scale, workers=max(1, args.workers),
                         overwrite=args.overwrite, tail_fraction=args.liver_tail_fraction)
    print(f"wrote {args.cases} cirrhosis and {args.healthy} healthy phantom subjects to {root}")
    if args.preview:
        from ..visualization.stage_preview import write_stage_preview

        write_stage_preview(args.preview, seed=args.seed, size_scale=args.size_scale)
        print(f"wrote {args.preview}")
    return 0
