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
from .labels import LIVER
from .metrics import dice
from .postprocess import component_volumes_ml, drop_air_like, postprocess_labels
from .quality import MaskEvidence, assess_liver_mask
from .slices import scan_slice_axis, slice_probabilities, slice_spacing_for, smooth_across_slices

# What one network window sees, in mm (z, y, x): the whole upper abdomen in-plane, half the liver's height, at
# any model spacing (32 x 128 x 128 voxels at 2.5 x 2.5 x 5 mm).
WINDOW_MM_ZYX = (160.0, 320.0, 320.0)


def window_for_spacing(spacing_xyz) -> tuple[int, ...]:
    """Sliding-window (and training patch) size in voxels for a model spacing, in multiples of 16 (the UNet's
    four stride-2 levels). An axis of spacing 0 (the scan's own slices, 2.5D networks) is left out: (y, x)."""
    return tuple(16 * max(1, math.ceil(extent / float(spacing) / 16 - 1e-6))
                 for extent, spacing in zip(WINDOW_MM_ZYX, tuple(spacing_xyz)[::-1]) if float(spacing) > 0)


@dataclass
class Segmentation:
    labels: sitk.Image      # uint8 on exactly the input's grid
    seconds: float
    device: str
    stage_seconds: dict = field(default_factory=dict)   # prepare / network / to_input_grid (for benchmarks)
    quality: dict = field(default_factory=dict)         # quality.assess_liver_mask: {"status", "reasons", ...}


@dataclass
class NetworkMember:
    """One network and the model space it sees: its spacing (z 0: the scan's own slices), for a 2.5D
    network the slices either side it takes (None: 3D, sliding window), the weight of each neighbouring slice
    when its probabilities are averaged across slices (0: none; slices.smooth_across_slices) and the slice spacing
    thinner scans are resampled to (0: never; slices.slice_spacing_for), and the intensity normalisation its
    weights expect (preprocessing.intensity.NORMALIZATIONS)."""

    network: object
    spacing_xyz: tuple
    context: int | None = None
    normalization: str = "zscore"
    slice_smoothing: float = 0.0
    min_slice_spacing_mm: float = 0.0

    def __post_init__(self):
        self.spacing_xyz = tuple(float(v) for v in self.spacing_xyz)
        self.window_zyx = window_for_spacing(self.spacing_xyz) if self.context is None else None

    def spacing_for(self, image: sitk.Image) -> tuple:
        """The model spacing this network sees `image` at (a thin-slice scan's slices coarsened for a 2.5D network
        that asks for it)."""
        if self.context is None:
            return self.spacing_xyz
        return slice_spacing_for(self.spacing_xyz, image, self.min_slice_spacing_mm)

    def probabilities(self, model_array: np.ndarray, device) -> np.ndarray:
        """(classes, z, y, x) softmax probabilities for a normalised model-space (z, y, x) array."""
        import torch
        from monai.inferers import sliding_window_inference

        from ..devices import autocast_context

        if self.context is not None:
            return slice_probabilities(self.network, model_array, self.context, device)
        tensor = torch.from_numpy(np.ascontiguousarray(model_array, np.float32))[None, None].to(device)
        with torch.inference_mode(), autocast_context(device):
            logits = sliding_window_inference(tensor, self.window_zyx, sw_batch_size=2, predictor=self.network,
                                              overlap=0.25, mode="gaussian", padding_mode="constant",
                                              cval=float(model_array.min()))
        return torch.softmax(logits.float(), dim=1)[0].cpu().numpy()


class Segmenter:
    """A loaded segmentation network and the spacing it was trained at, or an ensemble of such networks (each in
    its own model space; their organ probabilities are averaged on the input's grid)."""

    def __init__(self, network, spacing_xyz, device="cpu", entry=None, edge_radius_mm: float | None = EDGE_RADIUS_MM,
                 context: int | None = None, normalization: str = "zscore", slice_smoothing: float = 0.0,
                 min_slice_spacing_mm: float = 0.0):
        self.device = device
        self.members = [NetworkMember(network.to(device).eval(), spacing_xyz, context, normalization, slice_smoothing,
                                      min_slice_spacing_mm)]
        self.edge_radius_mm = edge_radius_mm   # None: no snapping to the image's edges (edge_refinement)
        self.entry = entry  # the manifest entry the weights came from (None for an unpublished network)

    @classmethod
    def ensemble(cls, members: list[NetworkMember], device="cpu", entry=None,
                 edge_radius_mm: float | None = EDGE_RADIUS_MM) -> "Segmenter":
        first = members[0]
        segmenter = cls(first.network, first.spacing_xyz, device, entry, edge_radius_mm, first.context, first.normalization,
                        first.slice_smoothing, first.min_slice_spacing_mm)
        segmenter.members += [NetworkMember(m.network.to(device).eval(), m.spacing_xyz, m.context, m.normalization,
                                            m.slice_smoothing, m.min_slice_spacing_mm) for m in members[1:]]
        return segmenter

    # The first (or only) network's model space: what training validates and single-network tools use.
    network = property(lambda self: self.members[0].network)
    spacing_xyz = property(lambda self: self.members[0].spacing_xyz)
    context = property(lambda self: self.members[0].context)
    window_zyx = property(lambda self: self.members[0].window_zyx)

    @property
    def model_name(self) -> str:
        return self.entry.key if self.entry is not None else "unregistered"

    @property
    def sha256(self) -> str:
        return self.entry.sha256 if self.entry is not None else ""

    def probabilities(self, model_array: np.ndarray) -> np.ndarray:
        """The first network's (classes, z, y, x) probabilities for an array in its model space."""
        return self.members[0].probabilities(model_array, self.device)

    def model_outputs(self, image: sitk.Image, seconds: dict | None = None) -> list[tuple[np.ndarray, sitk.Image]]:
        """(probabilities, model-space image) of every network; adds prepare/network times to `seconds`."""
        import time

        outputs, spaces = [], {}
        for member in self.members:
            started = time.perf_counter()
            spacing = member.spacing_for(image)
            key = (spacing, member.normalization)   # members in one model space share its preparation
            if key not in spaces:
                spaces[key] = prepare(image, spacing, normalization=member.normalization)
            space = spaces[key]
            prepared = time.perf_counter()
            outputs.append((member.probabilities(space.array, self.device), space.image))   # on the CPU: GPU done
            if seconds is not None:
                seconds["prepare"] = seconds.get("prepare", 0.0) + prepared - started
                seconds["network"] = seconds.get("network", 0.0) + time.perf_counter() - prepared
        return outputs

    def segment(self, image: sitk.Image, sequence: str | None = None) -> Segmentation:
        """Labels on `image`'s grid with their quality flags; `sequence` ("t1", "t2"): what the volume was given as,
        so that a contrast that contradicts it is flagged (quality.assess_liver_mask)."""
        import time

        stages: dict = {}
        outputs = self.model_outputs(image, stages)
        mapped = time.perf_counter()
        smoothing = [member.slice_smoothing if member.context is not None else 0.0 for member in self.members]
        labels, evidence = outputs_to_segmentation(outputs, image, self.edge_radius_mm, smoothing)
        stages["to_input_grid"] = time.perf_counter() - mapped
        quality = assess_liver_mask(sitk.GetArrayViewFromImage(labels), image, evidence, sequence)
        return Segmentation(labels, sum(stages.values()), str(self.device), stages, quality)


def probabilities_to_labels(probabilities: np.ndarray, model_image: sitk.Image, original: sitk.Image,
                            edge_radius_mm: float | None = EDGE_RADIUS_MM) -> sitk.Image:
    """One network's labels on the input grid (outputs_to_labels)."""
    return outputs_to_labels([(probabilities, model_image)], original, edge_radius_mm)


def outputs_to_labels(outputs, original: sitk.Image, edge_radius_mm: float | None = EDGE_RADIUS_MM) -> sitk.Image:
    """The label map of outputs_to_segmentation."""
    return outputs_to_segmentation(outputs, original, edge_radius_mm)[0]


def outputs_to_segmentation(outputs, original: sitk.Image, edge_radius_mm: float | None = EDGE_RADIUS_MM,
                            slice_smoothing=None) -> tuple[sitk.Image, MaskEvidence]:
    """Resample each network's organ probabilities onto the input grid (smooth boundaries), average each 2.5D
    network's across its slices by its weight in `slice_smoothing` (one per output; None: none), average them, snap
    them to the image's edges (edge_refinement; skipped when `edge_radius_mm` is None), argmax, drop air-like
    organ voxels (postprocess.drop_air_like), clean up.
    `outputs`: (probabilities (classes, z, y, x), model-space image) per network. Only the box that can hold an
    organ (grown by the edge window) is resampled; background there is 1 - the organs (the softmax sums to 1, and
    linear interpolation and the guided filter keep sums), and 1 outside the model's field of view where every
    channel reads 0. Also returns the evidence the mask quality flags need (quality.MaskEvidence), taken from the
    networks' own outputs before the smoothing across slices (a smoothed liver's top and bottom slices sit near 50 %
    by construction, which would read as low confidence)."""
    labels = np.zeros(tuple(original.GetSize())[::-1], np.uint8)
    evidence = MaskEvidence()
    radius_zyx = radius_voxels(original.GetSpacing()[::-1], edge_radius_mm) if edge_radius_mm else (0, 0, 0)
    # Grown by twice the window: the filter's second mean reads coefficients computed a window further out.
    boxes = [box for box in (foreground_box(probabilities, model_image, original, [2 * r for r in radius_zyx[::-1]])
                             for probabilities, model_image in outputs) if box is not None]
    if boxes:
        x0, y0, z0 = np.min([box[:3] for box in boxes], axis=0).tolist()
        x1, y1, z1 = np.max([box[3:] for box in boxes], axis=0).tolist()
        reference = original[x0:x1, y0:y1, z0:z1]
        members = [_organs_on(reference, probabilities, model_image) for probabilities, model_image in outputs]
        organs = np.mean(members, axis=0)
        evidence.member_dice = _member_agreement(members, organs)
        # Each network's own doubt: two sure networks whose boundaries lie a voxel apart average to 50 % along the
        # whole boundary, which is their disagreement (member_dice), not doubt, and would be counted twice. A network
        # that calls no liver adds 0 here; its member Dice (0) flags the mask.
        evidence.uncertain_share = float(np.mean([_uncertain_share(member[LIVER - 1]) for member in members]))
        if any(slice_smoothing or ()):
            axis = 1 + _slice_axis(original)
            organs = np.mean([smooth_across_slices(member, weight, axis)
                              for member, weight in zip(members, slice_smoothing)], axis=0)
        del members
        if any(radius_zyx):
            guide = scaled_guide(sitk.GetArrayViewFromImage(original), np.s_[z0:z1, y0:y1, x0:x1])
            organs = refine_organs(guide, organs, radius_zyx, FOREGROUND_FLOOR)
        background = 1.0 - organs.sum(axis=0)
        labels[z0:z1, y0:y1, x0:x1] = np.argmax(np.concatenate([background[None], organs]), axis=0)
        labels = drop_air_like(labels, sitk.GetArrayViewFromImage(original))
    evidence.piece_volumes_ml = component_volumes_ml(labels == LIVER, original.GetSpacing())
    labels = postprocess_labels(labels, original.GetSpacing()[::-1])
    return Grid.of(original).apply_to(sitk.GetImageFromArray(labels)), evidence


def _slice_axis(original: sitk.Image) -> int:
    """The axis of `original`'s (z, y, x) array along which a 2.5D network's model space steps from slice to slice
    (slices.scan_slice_axis: the canonical orientation only reorders axes)."""
    return 2 - scan_slice_axis(original)


def _member_agreement(members, organs: np.ndarray) -> list[float]:
    """Each network's liver (argmax) against the ensemble's: Dice; empty for a single network."""
    if len(members) < 2:
        return []
    consensus = _liver_argmax(organs)
    return [dice(_liver_argmax(member), consensus) for member in members]


def _liver_argmax(organs: np.ndarray) -> np.ndarray:
    background = 1.0 - organs.sum(axis=0)
    return np.argmax(np.concatenate([background[None], organs]), axis=0) == LIVER


def _uncertain_share(liver_probability: np.ndarray) -> float:
    called = float((liver_probability > 0.5).sum())
    unsure = float(((liver_probability > 0.25) & (liver_probability < 0.75)).sum())
    return unsure / called if called else 0.0


def _organs_on(reference: sitk.Image, probabilities: np.ndarray, model_image: sitk.Image) -> np.ndarray:
    """(organs, z, y, x) float32: the organ channels linearly resampled onto `reference` (0 outside the model's
    field of view)."""
    model_grid = Grid.of(model_image)
    return np.stack([
        sitk.GetArrayFromImage(resample_to_reference(
            model_grid.apply_to(sitk.GetImageFromArray(channel.astype(np.float32))), reference, "linear"))
        for channel in probabilities[1:]])
