"""`cirrhosis-staging simulate --chaos DIR --out RELEASE`: simulated cirrhosis on real scans with organ labels."""

from __future__ import annotations

from ..errors import InputError
from ..io.output_checks import check_output_folder


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "simulate", help="simulate cirrhotic change on real labelled scans, written as a CirrMRI600+ release",
        description="Applies simulated cirrhosis (surface nodularity, right-lobe atrophy with caudate and left-"
                    "lateral hypertrophy, fibrotic septa, regenerative and siderotic nodules, splenomegaly, ascites) "
                    "to real scans with organ labels; image and labels move together, so the masks stay true. "
                    "Writes the originals as Healthy_subjects (stage none) and each simulated stage in "
                    "Cirrhosis_T{1,2}_3D with the stage CSVs, split by subject, plus Simulation_truth.csv with "
                    "every parameter. Deterministic for --seed. The disease is simulated: for demonstration and "
                    "method testing, not a substitute for cirrhosis patients.")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--chaos", metavar="DIR", help="CHAOS-layout folder: image_<id>.nii.gz + label_<id>.nii.gz "
                                                       "(1 liver, 2/3 kidneys, 4 spleen)")
    source.add_argument("--release", metavar="DIR", help="a CirrMRI600+ release: simulate on its healthy subjects")
    parser.add_argument("--sequence", choices=("t1", "t2"), default="t2",
                        help="what the --chaos scans are (default t2: CHAOS T2-SPIR)")
    parser.add_argument("--out", required=True, help="output release folder (must not exist unless --overwrite)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--stages", default="1,2,3", help="simulated stages per subject (default 1,2,3)")
    parser.add_argument("--preview", metavar="PNG", help="also write a picture of one subject at every stage")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing --out folder")
    parser.set_defaults(func=run)


def run(args) -> int:
    from ..simulation.release import write_simulated_release
    from ..simulation.sources import chaos_subjects, release_subjects

    try:
        stages = sorted({int(value) for value in args.stages.split(",") if value.strip()})
    except ValueError:
        stages = []
    if not stages or not set(stages) <= {1, 2, 3}:
        raise InputError(args.out, f"--stages must list stages among 1, 2, 3 (got {args.stages!r})")
    subjects = chaos_subjects(args.chaos, args.sequence) if args.chaos else release_subjects(args.release)
    check_output_folder(args.out, args.overwrite, min_free_bytes=0)
    root = write_simulated_release(args.out, subjects, seed=args.seed, stages=stages, overwrite=args.overwrite)
    print(f"wrote {len(subjects)} subjects as given and at stages {', '.join(map(str, stages))} to {root}")
    if args.preview:
        from ..visualization.simulation_preview import write_simulation_preview

        write_simulation_preview(args.preview, root)
        print(f"wrote {args.preview}")
    return 0
