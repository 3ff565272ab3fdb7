"""Finding the files of a CirrMRI600+ release on disk (folder names, image/mask pairing), without reading pixels.

Release layout (OSF project cuk24):
    Cirrhosis_T1_3D/{train,valid,test}_images/<id>.nii.gz   and  {train,valid,test}_masks/<id>.nii.gz
    Cirrhosis_T2_3D/ the same
    Cirrhosis_T2_2D/{train,valid,test}/<id>/{images,masks}/*.png
    Healthy_subjects/T1_W_Healthy/{T1_images,T1_masks}/, Healthy_subjects/T2_W_Healthy/{T2_images,T2_masks}/
    Metadata/*.csv
Folder names are matched case-insensitively, since copies made on Windows or macOS do not keep case reliably.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import InputError
from .cirrmri_records import SPLITS, SeriesRecord, SliceRecord
from .patient_ids import normalise_patient_id, patient_sort_key
from .volume_files import list_volumes

SEQUENCE_FOLDERS = {"t1": "Cirrhosis_T1_3D", "t2": "Cirrhosis_T2_3D"}
SLICES_2D_FOLDER = "Cirrhosis_T2_2D"
HEALTHY_FOLDER = "Healthy_subjects"
METADATA_FOLDER = "Metadata"

_SPLIT_ALIASES = {"train": ("train", "training"), "valid": ("valid", "val", "validation"), "test": ("test", "testing")}
_MASK_SUFFIX = re.compile(r"[_\-. ]?(mask|seg|segmentation|label|labels|gt)$", re.IGNORECASE)
_LAST_NUMBER = re.compile(r"(\d+)(?!.*\d)")
NOT_A_RELEASE = "not a CirrMRI600+ release folder: expected Cirrhosis_T1_3D/ or Cirrhosis_T2_3D/"


def find_release_root(root: Path) -> Path:
    """`root` itself, or its one subfolder holding the release (archives often unpack into an extra folder)."""
    if not root.is_dir():
        raise InputError(root, "no such folder")
    if _is_release(root):
        return root
    nested = [folder for folder in _subfolders(root) if _is_release(folder)]
    if len(nested) == 1:
        return nested[0]
    raise InputError(root, NOT_A_RELEASE)


def child(folder: Path | None, *names: str) -> Path | None:
    """The subfolder of `folder` called any of `names` (case-insensitive, first name preferred), or None."""
    if folder is None or not folder.is_dir():
        return None
    by_name = {path.name.lower(): path for path in _subfolders(folder)}
    return next((by_name[name.lower()] for name in names if name.lower() in by_name), None)


def scan_cirrhosis_series(root: Path, sequence: str, require_masks: bool) -> list[SeriesRecord]:
    """Every volume of one sequence in the train, valid and test folders."""
    sequence_folder = child(root, SEQUENCE_FOLDERS[sequence])
    records = []
    for split in SPLITS:
        images = child(sequence_folder, *(f"{alias}_images" for alias in _SPLIT_ALIASES[split]))
        if images is not None:
            records += _series_in(images, sequence, split, require_masks)
    return records


def scan_healthy_series(root: Path, sequence: str, require_masks: bool) -> list[SeriesRecord]:
    tag = sequence.upper()
    sequence_folder = child(child(root, HEALTHY_FOLDER), f"{tag}_W_Healthy", f"{tag}_Healthy", tag)
    images = child(sequence_folder, f"{tag}_images", "images")
    return [] if images is None else _series_in(images, sequence, "healthy", require_masks)


def scan_slice_folders(root: Path) -> list[tuple[str, str, Path]]:
    """(patient id, split, folder) for every patient folder in Cirrhosis_T2_2D."""
    slices_folder = child(root, SLICES_2D_FOLDER)
    found = []
    for split in SPLITS:
        split_folder = child(slices_folder, *_SPLIT_ALIASES[split])
        seen: dict[str, Path] = {}
        for folder in _subfolders(split_folder) if split_folder else ():
            patient_id = normalise_patient_id(folder.name)
            if patient_id in seen:
                raise InputError(folder, f"names the same patient ({patient_id}) as {seen[patient_id].name}; keep one")
            seen[patient_id] = folder
            found.append((patient_id, split, folder))
    return found


def list_slices(patient_folder: Path, patient_id: str, split: str) -> list[SliceRecord]:
    """The PNG slices of one patient folder in natural order, each with its mask PNG when one matches."""
    images = _pngs(child(patient_folder, "images", "image", "imgs"))
    masks = _pngs(child(patient_folder, "masks", "mask", "labels"))
    find_mask = _mask_matcher(masks)
    return [SliceRecord(patient_id, split, index, image, find_mask(image)) for index, image in enumerate(images)]


def _series_in(images_folder: Path, sequence: str, split: str, require_masks: bool) -> list[SeriesRecord]:
    masks_folder = _masks_folder_beside(images_folder)
    images = list_volumes(images_folder)
    masks = list_volumes(masks_folder, _mask_id) if masks_folder else {}
    records = []
    for patient_id in sorted(images, key=patient_sort_key):
        mask = masks.get(patient_id)
        if mask is None and require_masks:
            expected = masks_folder or images_folder.parent / re.sub("images", "masks", images_folder.name, flags=re.I)
            raise InputError(images[patient_id], f"no mask for patient {patient_id} in {expected}")
        records.append(SeriesRecord(patient_id, sequence, split, images[patient_id], mask))
    return records


def _masks_folder_beside(images_folder: Path) -> Path | None:
    """'train_images' -> 'train_masks' (or '_labels'), 'T1_images' -> 'T1_masks'."""
    names = [re.sub("images", word, images_folder.name, flags=re.I) for word in ("masks", "labels")]
    return child(images_folder.parent, *names)


def _mask_id(stem: str) -> str:
    """A mask named '12_mask.nii.gz' or '12_seg.nii.gz' belongs to patient 12."""
    return normalise_patient_id(_MASK_SUFFIX.sub("", stem.strip()))


def _mask_matcher(masks: list[Path]):
    """Pair slices by same name, else by name without a mask suffix, else by the last number in the name."""
    def keys(path: Path) -> list[str | None]:
        stem = path.stem.lower()
        number = _LAST_NUMBER.search(stem)
        return [stem, _MASK_SUFFIX.sub("", stem), number and str(int(number.group(1)))]

    tables: list[dict[str, Path | None]] = [{}, {}, {}]
    for mask in masks:
        for table, key in zip(tables, keys(mask)):
            if key is not None:
                table[key] = None if key in table else mask  # an ambiguous key pairs nothing
    return lambda image: next((table[key] for table, key in zip(tables, keys(image)) if table.get(key)), None)


def _pngs(folder: Path | None) -> list[Path]:
    if folder is None:
        return []
    files = [p for p in folder.iterdir() if p.suffix.lower() == ".png" and not p.name.startswith(".") and p.is_file()]
    return sorted(files, key=lambda path: patient_sort_key(path.name))


def _subfolders(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))


def _is_release(folder: Path) -> bool:
    return any(child(folder, name) is not None for name in SEQUENCE_FOLDERS.values())
