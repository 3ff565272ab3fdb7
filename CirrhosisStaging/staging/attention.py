"""Grad-CAM attention per sequence, on exactly the input's grid, in [0, 1], weighted to the liver.

Uses monai.visualize.GradCAM (pytorch-grad-cam needs torchvision, which has no CPU build beside this torch).
MONAI's default post-processing maps (min, max) to (1, 0), an inverted map: a plain min-max scaling is passed.
"""

from __future__ import annotations

import numpy as np
import SimpleITK as sitk
import torch  # runtime-only module (the CLI and the Lib's worker process import it, never Slicer start-up)
from monai.visualize import GradCAM
from scipy import ndimage
from torch import nn

from ..data.labels import LIVER
from ..io.geometry import Grid
from ..preprocessing.resample import resample_to_reference
from .inputs import StagingInput

# The liver is the evidence; a rim around it keeps surface nodularity and ascites visible.
LIVER_RIM_MM = 10.0


def attention_maps(network, inputs: dict[str, StagingInput], labels: dict[str, sitk.Image], device="cpu",
                   class_index: int | None = None) -> dict[str, sitk.Image]:
    """sequence -> float32 attention image on that sequence's input grid, for the predicted (or given) class."""
    arrays = {s: torch.from_numpy(i.array)[None].to(device) for s, i in inputs.items()}
    if class_index is None:
        with torch.inference_mode():
            class_index = int(network(arrays).argmax(dim=1)[0])
    maps = {}
    for sequence, staging_input in inputs.items():
        wrapper = _SingleInput(network, sequence, {s: a for s, a in arrays.items() if s != sequence})
        cam = GradCAM(nn_module=wrapper, target_layers=f"model.encoders.{sequence}.blocks.{_last_block(network)}",
                      postprocessing=_min_max)
        with torch.enable_grad():
            box_map = cam(x=arrays[sequence].clone(), class_idx=class_index)[0, 0].detach().cpu().numpy()
        maps[sequence] = _to_input_grid(box_map, staging_input, labels[sequence])
    return maps


def _to_input_grid(box_map: np.ndarray, staging_input: StagingInput, labels: sitk.Image) -> sitk.Image:
    box_image = Grid.of(staging_input.box).apply_to(sitk.GetImageFromArray(box_map.astype(np.float32)))
    on_input = sitk.GetArrayFromImage(resample_to_reference(box_image, staging_input.original, "linear"))
    liver = sitk.GetArrayViewFromImage(labels) == LIVER
    spacing_zyx = labels.GetSpacing()[::-1]
    distance = ndimage.distance_transform_edt(~liver, sampling=spacing_zyx)
    weight = np.clip(1.0 - distance / LIVER_RIM_MM, 0.0, 1.0)   # 1 in the liver, fading to 0 over the rim
    weighted = on_input * weight
    peak = float(weighted.max())
    result = (weighted / peak if peak > 0 else weighted).astype(np.float32)
    return Grid.of(staging_input.original).apply_to(sitk.GetImageFromArray(np.clip(result, 0.0, 1.0)))


def _min_max(t):
    return (t - t.min()) / (t.max() - t.min() + 1e-8)


def _last_block(network) -> int:
    return len(network.encoders["t1"].blocks) - 1


class _SingleInput(nn.Module):
    """GradCAM wants model(x): feed one sequence, the other one (if any) held fixed."""

    def __init__(self, model, sequence, others):
        super().__init__()
        self.model, self.sequence, self.others = model, sequence, others

    def forward(self, x):
        return self.model({**self.others, self.sequence: x})
