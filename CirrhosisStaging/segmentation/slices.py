"""2.5D networks: a 2D network that sees each slice with `context` slices either side as input channels.

On scans with thick slices (CHAOS: 7.7 mm against 1.25-1.9 mm in plane) a 2D network can keep the full in-plane
resolution and the scan's own slices (model spacing z = 0: no interpolation between slices), where a 3D network
must coarsen the plane to fit. Its errors differ from the 3D network's, which is what an ensemble needs. A scan
with thinner slices than the network trained on (or a coronal one) is resampled to a model's minimum slice spacing
(slice_spacing_for), so the context slices span what they spanned in training.
"""

from __future__ import annotations

import numpy as np

SLICE_BATCH = 8          # slices per forward pass
_DIVISOR = 16            # the UNet's four stride-2 levels

# The weight a model's manifest entry may give each neighbouring slice when its 2.5D network's probabilities are
# averaged across slices ("slice_smoothing" in its architecture; the slice itself keeps 1 - 2 x it): the 2D network
# decides every slice alone, so a bowel loop can be "liver" in one slice and not the next. Chosen on
# liver-spleen-folds 1.5.0's cross-validated probabilities (0, 0.1, 0.2, 0.25, 0.3, 1/3; each subject's choice made
# on the other 13 subjects picks 0.3 every time); through the product: cross-validated liver Dice 0.918 -> 0.921,
# spleen 0.886 -> 0.891 (README, Averaging across slices).
NEIGHBOUR_SLICE_WEIGHT = 0.3

# The slice spacing a model's manifest entry may ask thinner scans to be resampled to before its 2.5D network sees
# them ("min_slice_spacing_mm" in its architecture): the network learned what its two context slices either side
# look like 5.7-7.8 mm apart (CHAOS T2-SPIR: 7.7 mm; the T2W phantoms: 5.7-7.8 mm), and on a 3-mm scan (or a coronal
# one, whose axial steps are its in-plane pixels) they would span a third of that. 5.7 mm: the thinnest slices the
# shipped 2.5D networks trained on.
THINNEST_TRAINED_SLICE_MM = 5.7


def context_slices(architecture: dict) -> int | None:
    """Slices either side a 2D architecture takes (in_channels = 2 * context + 1); None for a 3D network."""
    if int(architecture.get("spatial_dims", 3)) != 2:
        return None
    channels = int(architecture.get("in_channels", 1))
    if channels % 2 != 1:
        raise ValueError(f"a 2.5D network needs an odd number of input channels (the slice and its neighbours), "
                         f"not {channels}")
    return (channels - 1) // 2


def scan_slice_axis(image) -> int:
    """The image's index axis (x 0, y 1, z 2) a 2.5D network steps along: the one nearest the patient's
    superior-inferior axis, which the canonical orientation (preprocessing.orientation) makes its z."""
    from ..preprocessing.orientation import index_axis_along

    return index_axis_along(image, "SI")


def scan_slice_spacing(image) -> float:
    """The spacing (mm) between the slices a 2.5D network steps through (scan_slice_axis)."""
    return float(image.GetSpacing()[scan_slice_axis(image)])


def slice_spacing_for(spacing_xyz, image, min_slice_spacing_mm: float) -> tuple:
    """The model spacing a 2.5D network (z 0: the scan's own slices) sees `image` at: its own slices, unless they
    are thinner than `min_slice_spacing_mm` (0: never), which then becomes the z spacing."""
    spacing = tuple(float(value) for value in spacing_xyz)
    if spacing[2] > 0 or min_slice_spacing_mm <= 0 or scan_slice_spacing(image) >= min_slice_spacing_mm:
        return spacing
    return spacing[:2] + (float(min_slice_spacing_mm),)


def slice_stack(volume_zyx: np.ndarray, index: int, context: int) -> np.ndarray:
    """(2 * context + 1, y, x): slice `index` and its neighbours in order, the edge slice repeated past the ends."""
    rows = np.clip(np.arange(index - context, index + context + 1), 0, volume_zyx.shape[0] - 1)
    return volume_zyx[rows]


def smooth_across_slices(probabilities: np.ndarray, weight: float, axis: int = 1) -> np.ndarray:
    """`probabilities` with every slice along `axis` averaged with its two neighbours (weights `weight`,
    1 - 2 x `weight`, `weight`; an edge slice stands in for its missing neighbour). A convex combination: the classes
    still sum to 1."""
    if weight <= 0 or probabilities.shape[axis] < 2:
        return probabilities
    moved = np.moveaxis(probabilities, axis, 0)
    below = np.concatenate([moved[:1], moved[:-1]])
    above = np.concatenate([moved[1:], moved[-1:]])
    return np.moveaxis((1.0 - 2.0 * weight) * moved + weight * (below + above), 0, axis)


def slice_probabilities(network, volume_zyx: np.ndarray, context: int, device) -> np.ndarray:
    """(classes, z, y, x) softmax probabilities, every slice through the 2D network (in-plane padded to the
    network's divisor with the volume's minimum, as the 3D sliding window pads)."""
    import torch

    from ..devices import autocast_context

    depth, height, width = volume_zyx.shape
    padded_shape = (depth, -(-height // _DIVISOR) * _DIVISOR, -(-width // _DIVISOR) * _DIVISOR)
    padded = np.full(padded_shape, float(volume_zyx.min()), np.float32)
    padded[:, :height, :width] = volume_zyx
    outputs = []
    with torch.inference_mode(), autocast_context(device):
        for start in range(0, depth, SLICE_BATCH):
            batch = np.stack([slice_stack(padded, index, context) for index in range(start, min(depth, start + SLICE_BATCH))])
            logits = network(torch.from_numpy(batch).to(device))
            outputs.append(torch.softmax(logits.float(), dim=1)[:, :, :height, :width].cpu())
    return torch.cat(outputs).numpy().transpose(1, 0, 2, 3)
