"""`cirrhosis-staging preprocess IMAGE --out OUT`: what a model sees (canonical, resampled, normalised)."""

from __future__ import annotations

from ..io import read_image, validate_image, write_image
from ..io.output_checks import check_volume_output
from ..preprocessing import prepare


def register(subparsers) -> None:
    parser = subparsers.add_parser("preprocess", help="write the model-space version of an image",
                                   description="Reorient to the canonical orientation, optionally correct the bias "
                                               "field (N4), resample to a spacing and z-score inside the body.")
    parser.add_argument("image", help="volume file or DICOM series folder")
    parser.add_argument("--out", required=True, help="output volume (.nii.gz, .nrrd)")
    parser.add_argument("--spacing", type=float, nargs=3, default=(1.5, 1.5, 3.0), metavar=("X", "Y", "Z"),
                        help="target voxel spacing in mm (default: 1.5 1.5 3.0)")
    parser.add_argument("--n4", action="store_true", help="apply N4 bias-field correction first")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing output file")
    parser.set_defaults(func=run)


def run(args) -> int:
    check_volume_output(args.out, [args.image], args.overwrite)
    image = validate_image(read_image(args.image), args.image)
    model_space = prepare(image, args.spacing, bias_correction=args.n4)
    write_image(model_space.image, args.out)
    print(f"wrote {args.out} {model_space.image.GetSize()}")
    return 0
