"""Write a phantom cohort in the layout of the CirrMRI600+ release (plus phantom-only truth).

    Cirrhosis_T1_3D/{train,valid,test}_images/<id>.nii.gz   and {split}_masks/<id>.nii.gz
    Cirrhosis_T2_3D/ the same
    Cirrhosis_T2_2D/{split}/<id>/{images,masks}/<slice>.png  (optional)
    Healthy_subjects/T1_W_Healthy/{T1_images,T1_masks}/<id>.nii.gz, T2_W_Healthy/{T2_images,T2_masks}/...
    Metadata/T1_age_gender_evaluation.csv, T2_..., T1&T2_Paired_... (the paired one with a UTF-8 BOM)
    Phantom_organs/{T1,T2}/<id>.nii.gz   multi-organ labels (CHAOS codes), not in the real release
    Phantom_truth.csv                    ground truth per patient, not in the real release

The whole tree appears at once: it is built in a temporary folder renamed into place at the end.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

from tqdm import tqdm

from ..io.atomic import atomic_directory
from ..io.csv_safety import SafeDictWriter, SafeWriter
from ..io.image_io import write_image
from .cohort import PatientPlan, plan_cohort
from .generator import make_case
from .slices_2d import write_slices

METADATA_COLUMNS = ("Patient ID", "Age", "Gender", "Radiological Evaluation")
TRUTH_COLUMNS = (
    "patient_id", "group", "stage", "seed", "split", "has_t1", "has_t2", "age", "gender",
    "liver_volume_ml", "right_lobe_volume_ml", "left_lobe_volume_ml", "caudate_volume_ml", "caudate_right_ratio",
    "spleen_volume_ml", "ascites_volume_ml", "nodularity_mm", "nodule_size_mm", "septa_strength",
    "t2_iron_darkening",
)


def write_release(out_dir: str | os.PathLike, cases: int = 10, seed: int = 0, healthy: int = 2,
                  with_2d: bool = True, size_scale: float = 1.0, progress: bool = True,
                  overwrite: bool = False, workers: int = 1, tail_fraction: float = 0.0) -> Path:
    """Generate `cases` cirrhosis patients and `healthy` healthy subjects into `out_dir`; returns it.

    Deterministic for (cases, seed, healthy, size_scale, tail_fraction). `workers` > 1 generates patients in
    parallel processes (same files either way). `tail_fraction`: the share of patients whose left lobe wraps the
    spleen (anatomy.Anatomy; 0 by default, so releases made before it existed stay the same).
    """
    plans = plan_cohort(cases, seed, healthy)
    out_dir = Path(out_dir)
    with atomic_directory(out_dir, overwrite=overwrite) as root:
        rows = _generate(root, plans, size_scale, with_2d, progress, workers, tail_fraction)
        _write_metadata(root / "Metadata", plans)
        _write_truth(root / "Phantom_truth.csv", [rows[plan.patient_id] for plan in plans])
    return out_dir


def _generate(root: Path, plans: list[PatientPlan], size_scale: float, with_2d: bool, progress: bool,
              workers: int, tail_fraction: float) -> dict[str, dict]:
    bar = tqdm(total=len(plans), desc="phantom cases", unit="case", disable=not progress)
    rows = {}
    try:
        if workers <= 1 or len(plans) <= 1:
            for plan in plans:
                rows[plan.patient_id] = write_patient(root, plan, size_scale, with_2d, tail_fraction)
                bar.update()
        else:
            context = multiprocessing.get_context("spawn")  # no fork of a possibly multithreaded parent
            with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
                futures = [pool.submit(write_patient, root, plan, size_scale, with_2d, tail_fraction) for plan in plans]
                for future in as_completed(futures):
                    row = future.result()
                    rows[row["patient_id"]] = row
                    bar.update()
    finally:
        bar.close()
    return rows


def write_patient(root: Path, plan: PatientPlan, size_scale: float, with_2d: bool, tail_fraction: float = 0.0) -> dict:
    """Write every file of one patient under `root`; returns the patient's truth row."""
    truth = {}
    for sequence, present in (("t1", plan.has_t1), ("t2", plan.has_t2)):
        if not present:
            continue
        case = make_case(plan.stage, plan.seed, sequence, size_scale=size_scale, tail_fraction=tail_fraction)
        truth = case.truth
        name = f"{plan.patient_id}.nii.gz"
        image_path, mask_path = _series_paths(root, plan, sequence)
        write_image(case.image, image_path / name)
        write_image(case.liver_mask, mask_path / name)
        write_image(case.organ_labels, root / "Phantom_organs" / sequence.upper() / name)
        if with_2d and sequence == "t2" and not plan.healthy:
            write_slices(case.image, case.liver_mask, root / "Cirrhosis_T2_2D" / plan.split / plan.patient_id)
    row = {"patient_id": plan.patient_id, "group": "healthy" if plan.healthy else "cirrhosis",
           "stage": plan.stage, "seed": plan.seed, "split": plan.split or "", "has_t1": int(plan.has_t1),
           "has_t2": int(plan.has_t2), "age": plan.age, "gender": plan.gender}
    row.update({key: value for key, value in truth.items() if key in TRUTH_COLUMNS and key not in row})
    return row


def _series_paths(root: Path, plan: PatientPlan, sequence: str) -> tuple[Path, Path]:
    if plan.healthy:
        top = root / "Healthy_subjects" / f"{sequence.upper()}_W_Healthy"
        return top / f"{sequence.upper()}_images", top / f"{sequence.upper()}_masks"
    top = root / f"Cirrhosis_{sequence.upper()}_3D"
    return top / f"{plan.split}_images", top / f"{plan.split}_masks"


def _write_metadata(folder: Path, plans: list[PatientPlan]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    patients = [plan for plan in plans if not plan.healthy]
    tables = (
        ("T1_age_gender_evaluation.csv", [p for p in patients if p.has_t1], "utf-8"),
        ("T2_age_gender_evaluation.csv", [p for p in patients if p.has_t2], "utf-8"),
        # the real paired file starts with a byte-order mark; readers must cope with it
        ("T1&T2_Paired_age_gender_evaluation.csv", [p for p in patients if p.has_t1 and p.has_t2], "utf-8-sig"),
    )
    for name, members, encoding in tables:
        with open(folder / name, "w", newline="", encoding=encoding) as handle:
            writer = SafeWriter(handle)
            writer.writerow(METADATA_COLUMNS)
            for plan in sorted(members, key=lambda p: int(p.patient_id)):
                writer.writerow([plan.patient_id, plan.age, plan.gender, plan.stage])


def _write_truth(path: Path, rows: list[dict]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = SafeDictWriter(handle, fieldnames=TRUTH_COLUMNS)
        writer.writeheader()
        for row in rows:
            writer.writerow({key: _format(row.get(key, "")) for key in TRUTH_COLUMNS})


def _format(value):
    return f"{value:.4f}" if isinstance(value, float) else value
