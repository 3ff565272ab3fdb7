"""`cirrhosis-staging segment IMAGE --out MASK.nii.gz`: liver, spleen and kidneys on the input's grid."""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import InputError
from ..io import read_image, validate_image, write_image
from ..io.mask_stats import label_volumes_ml
from ..io.output_checks import check_volume_output


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "segment", help="segment liver, spleen and kidneys in a T1W or T2W volume",
        description="Segment an abdominal MRI volume with the shipped network. Writes uint8 labels (1 liver, "
                    "2 right kidney, 3 left kidney, 4 spleen) on exactly the input's grid, and optionally a 3D "
                    "Slicer .seg.nrrd with SNOMED terminology.")
    parser.add_argument("image", help="volume file (NIfTI, NRRD) or DICOM series folder")
    parser.add_argument("--out", required=True, help="output label volume (.nii.gz or .nrrd)")
    parser.add_argument("--seg-nrrd", help="also write a Slicer segmentation (.seg.nrrd)")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    parser.add_argument("--sequence", choices=("t1", "t2"), default="t2",
                        help="the volume's sequence (default t2): picks the newest model made for it")
    parser.add_argument("--model", help="model name (newest version) or name-version in the manifest "
                                        "(default: the newest segmentation model for --sequence)")
    parser.add_argument("--allow-download", action="store_true",
                        help="allow downloading missing weights from the manifest's URL (checked by sha256)")
    parser.add_argument("--overwrite", action="store_true", help="replace existing output files")
    parser.set_defaults(func=run)


def run(args) -> int:
    if args.seg_nrrd and not args.seg_nrrd.endswith(".seg.nrrd"):
        raise InputError(args.seg_nrrd, "a 3D Slicer segmentation file name must end in .seg.nrrd")
    if args.seg_nrrd and Path(args.seg_nrrd).resolve() == Path(args.out).resolve():
        raise InputError(args.seg_nrrd, "is also --out; give the two outputs their own names")
    for output in (p for p in (args.out, args.seg_nrrd) if p):
        check_volume_output(output, [args.image], args.overwrite)
    image = validate_image(read_image(args.image), args.image)

    from ..export import write_seg_nrrd
    from ..segmentation.loading import load_segmenter

    segmenter = load_segmenter(args.device, args.model, args.allow_download, sequence=args.sequence)
    result = segmenter.segment(image, args.sequence)
    write_image(result.labels, args.out)
    if args.seg_nrrd:
        write_seg_nrrd(result.labels, args.seg_nrrd)
    print(json.dumps({"image": args.image, "sequence": args.sequence, "mask": args.out, "model": segmenter.model_name,
                      "sha256": segmenter.sha256, "edge_radius_mm": segmenter.edge_radius_mm, "device": result.device,
                      "seconds": round(result.seconds, 2),
                      "volumes_ml": label_volumes_ml(result.labels),
                      "quality": {"status": result.quality["status"], "reasons": result.quality["reasons"]}},
                     indent=2))
    return 0
