"""`cirrhosis-staging check IMAGE [--mask MASK]`: validate inputs and print their grids."""

from __future__ import annotations

import json

from ..io import Grid, read_image, read_mask, validate_image, validate_mask
from ..io.mask_stats import label_volumes_ml
from ..preprocessing import orientation_code


def register(subparsers) -> None:
    parser = subparsers.add_parser("check", help="validate an image (and mask) and print its grid",
                                   description="Read an MRI volume (NIfTI, NRRD or a DICOM series folder), run the "
                                               "input checks every command runs, and print its grid as JSON.")
    parser.add_argument("image", help="volume file or DICOM series folder")
    parser.add_argument("--mask", help="label volume that must lie on the image's grid")
    parser.set_defaults(func=run)


def run(args) -> int:
    image = validate_image(read_image(args.image), args.image)
    grid = Grid.of(image)
    report = {"image": args.image, "size": grid.size, "spacing_mm": grid.spacing, "origin_mm": grid.origin,
              "direction": grid.direction, "orientation": orientation_code(image)}
    if args.mask:
        mask = validate_mask(read_mask(args.mask), image, args.mask, args.image)
        report["mask"] = args.mask
        report["label_volumes_ml"] = label_volumes_ml(mask)
    print(json.dumps(report, indent=2))
    return 0
