"""Segment a volume: model space -> network (sliding window) -> probabilities back on the input's grid."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import SimpleITK as sitk

from ..io.geometry import Grid
from ..preprocessing import prepare
from ..preprocessing.resample import resample_to_reference
from .edge_refinement import EDGE_RADIUS_MM, radius_voxels, refine_organs, scaled_guide
from .foreground_region import FOREGROUND_FLOOR, foreground_box
from .postprocess import postprocess_labels

# What one network window sees, in mm (z, y, x): the whole upper abdomen in-plane, half the liver's height, at
# any model spacing (32 x 128 x 128 voxels at 2.5 x 2.5 x 5 mm).
WINDOW_MM_ZYX = (160.0, 320.0, 320.0)


def window_for_spacing(spacing_xyz) -> tuple[int, int, int]:
    """Sliding-window (and training patch) size in voxels for a model spacing, in multiples of 16 (the UNet's
    four stride-2 levels)."""
    return tuple(16 * max(1, math.ceil(extent / float(spacing) / 16 - 1e-6))
                 for extent, spacing in zip(WINDOW_MM_ZYX, tuple(spacing_xyz)[::-1]))


@dataclass
class Segmentation:
    labels: sitk.Image      # uint8 on exactly the input's grid
    seconds: float
    device: str
    stage_seconds: dict = field(default_factory=dict)   # prepare / network / to_input_grid (for benchmarks)


class Segmenter:
    """A loaded segmentation network and the spacing it was trained at."""

    def __init__(self, network, spacing_xyz, device="cpu", entry=None, edge_radius_mm: float | None = EDGE_RADIUS_MM):
        self.network = network.to(device).eval()
        self.edge_radius_mm = edge_radius_mm   # None: no snapping to the image's edges (edge_refinement)
        self.spacing_xyz = tuple(float(v) for v in spacing_xyz)
        self.window_zyx = window_for_spacing(self.spacing_xyz)
        self.device = device
        self.entry = entry  # the manifest entry the weights came from (None for an unpublished network)

    @property
    def model_name(self) -> str:
        return self.entry.key if self.entry is not None else "unregistered"

    @property
    def sha256(self) -> str:
        return self.entry.sha256 if self.entry is not None else ""

    def probabilities(self, model_array: np.ndarray) -> np.ndarray:
        """(classes, z, y, x) softmax probabilities for a normalised model-space (z, y, x) array."""
        import torch
        from monai.inferers import sliding_window_inference

        from ..devices import autocast_context

        tensor = torch.from_numpy(np.ascontiguousarray(model_array, np.float32))[None, None].to(self.device)
        with torch.inference_mode(), autocast_context(self.device):
            logits = sliding_window_inference(tensor, self.window_zyx, sw_batch_size=2, predictor=self.network,
                                              overlap=0.25, mode="gaussian", padding_mode="constant",
                                              cval=float(model_array.min()))
        return torch.softmax(logits.float(), dim=1)[0].cpu().numpy()

    def segment(self, image: sitk.Image) -> Segmentation:
        import time

        marks = [time.perf_counter()]
        space = prepare(image, self.spacing_xyz)
        marks.append(time.perf_counter())
        probabilities = self.probabilities(space.array)   # on the CPU when it returns: the GPU has finished
        marks.append(time.perf_counter())
        labels = probabilities_to_labels(probabilities, space.image, image, self.edge_radius_mm)
        marks.append(time.perf_counter())
        stages = dict(zip(("prepare", "network", "to_input_grid"), np.diff(marks).tolist()))
        return Segmentation(labels, marks[-1] - marks[0], str(self.device), stages)


def probabilities_to_labels(probabilities: np.ndarray, model_image: sitk.Image, original: sitk.Image,
                            edge_radius_mm: float | None = EDGE_RADIUS_MM) -> sitk.Image:
    """Resample each organ's probability onto the input grid (smooth boundaries), snap them to the image's edges
    (edge_refinement; skipped when `edge_radius_mm` is None), argmax, clean up. Only the box that can hold an organ
    (grown by the edge window) is resampled; background there is 1 - the organs (the softmax sums to 1, and linear
    interpolation and the guided filter keep sums), and 1 outside the model's field of view where every channel
    reads 0."""
    labels = np.zeros(tuple(original.GetSize())[::-1], np.uint8)
    radius_zyx = radius_voxels(original.GetSpacing()[::-1], edge_radius_mm) if edge_radius_mm else (0, 0, 0)
    # Grown by twice the window: the filter's second mean reads coefficients computed a window further out.
    box = foreground_box(probabilities, model_image, original, [2 * r for r in radius_zyx[::-1]])
    if box is not None:
        x0, y0, z0, x1, y1, z1 = box
        reference = original[x0:x1, y0:y1, z0:z1]
        model_grid = Grid.of(model_image)
        organs = np.stack([
            sitk.GetArrayFromImage(resample_to_reference(
                model_grid.apply_to(sitk.GetImageFromArray(channel.astype(np.float32))), reference, "linear"))
            for channel in probabilities[1:]])
        if any(radius_zyx):
            guide = scaled_guide(sitk.GetArrayViewFromImage(original), np.s_[z0:z1, y0:y1, x0:x1])
            organs = refine_organs(guide, organs, radius_zyx, FOREGROUND_FLOOR)
        background = 1.0 - organs.sum(axis=0)
        labels[z0:z1, y0:y1, x0:x1] = np.argmax(np.concatenate([background[None], organs]), axis=0)
    labels = postprocess_labels(labels, original.GetSpacing()[::-1])
    return Grid.of(original).apply_to(sitk.GetImageFromArray(labels))

