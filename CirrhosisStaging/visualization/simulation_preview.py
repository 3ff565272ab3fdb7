"""README figure for `simulate`: one real subject as given (no cirrhosis) and at each simulated stage, the same
axial slice with the liver (orange) and spleen (blue) outlines of the labels that moved with the image."""

from __future__ import annotations

import csv
import os
from pathlib import Path

from .slices import axial_views, display_window, key_slice

STAGE_NAMES = {0: "original (no cirrhosis)", 1: "mild", 2: "moderate", 3: "severe"}


def write_simulation_preview(path: str | os.PathLike, release, subject_id: str | None = None) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..data.labels import LIVER, SPLEEN
    from ..io import read_image, read_mask
    from ..io.atomic import atomic_path
    from ..simulation.release import simulated_id

    release = Path(release)
    with open(release / "Simulation_truth.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    subject_id = subject_id or rows[0]["subject_id"]
    sequence = next(r["sequence"] for r in rows if r["subject_id"] == subject_id)
    stages = [0] + sorted({int(float(r["stage"])) for r in rows if r["subject_id"] == subject_id})
    tag = sequence.upper()
    figure, axes = plt.subplots(1, len(stages), figsize=(3.2 * len(stages), 3.6), facecolor="black", squeeze=False)
    index = None
    for column, stage in enumerate(stages):
        name = f"{subject_id if stage == 0 else simulated_id(subject_id, stage)}.nii.gz"
        image_path = (release / "Healthy_subjects" / f"{tag}_W_Healthy" / f"{tag}_images" / name if stage == 0 else
                      next((release / f"Cirrhosis_{tag}_3D").glob(f"*_images/{name}")))
        labels = read_mask(release / "Phantom_organs" / tag / name)
        image, label_array, aspect = axial_views(read_image(image_path), labels)
        index = key_slice(label_array == LIVER, image.shape[0]) if index is None else index
        low, high = display_window(image)
        axis = axes[0, column]
        axis.imshow(image[index], cmap="gray", vmin=low, vmax=high, aspect=aspect, interpolation="nearest")
        for value, colour in ((LIVER, "#dd8265"), (SPLEEN, "#4fa3e0")):
            if (label_array[index] == value).any():
                axis.contour(label_array[index] == value, levels=[0.5], colors=[colour], linewidths=0.9)
        axis.set_axis_off()
        axis.set_title(f"{STAGE_NAMES[stage]} - {tag}W", color="white", fontsize=10)
    figure.suptitle(f"Subject {subject_id}: simulated cirrhosis on a real scan (not a patient with cirrhosis); "
                    "patient's right on the left", color="white", fontsize=9)
    figure.tight_layout()
    with atomic_path(path) as temporary:
        figure.savefig(temporary, dpi=90, facecolor="black", format="png")
    plt.close(figure)
