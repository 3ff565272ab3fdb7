"""The segmentation network, built from the architecture dict stored in the model manifest."""

from __future__ import annotations

# Chosen by measurement on 2 CPU cores (closing note of issue 3): MONAI UNet with 2 residual units per level
# trains at ~0.6 s per batch of two 32x128x128 patches; a DynUNet with anisotropic first levels and instance
# norm took ~8 s for the same step, too slow to train here.
DEFAULT_ARCHITECTURE = {
    "class": "UNet",
    "spatial_dims": 3,
    "in_channels": 1,
    "out_channels": 5,
    "channels": [16, 32, 64, 128, 256],
    "strides": [2, 2, 2, 2],
    "num_res_units": 2,
    "norm": "batch",
}


ENSEMBLE = "Ensemble"   # {"class": "Ensemble", "members": [architecture + "spacing_mm", ...]}: one file, all weights


def build_network(architecture: dict | None = None):
    """A torch module from a manifest architecture dict: a MONAI UNet (2D or 3D), or for an ensemble a ModuleList of
    its members (their state dicts under "0.", "1.", ...)."""
    import torch
    from monai.networks.nets import UNet

    spec = dict(DEFAULT_ARCHITECTURE if architecture is None else architecture)
    kind = spec.pop("class", "UNet")
    spec.pop("normalization", None)   # how inputs are prepared (preprocessing.intensity), not a layer
    spec.pop("slice_smoothing", None)  # how a 2.5D network's outputs are averaged across slices (slices.py), not a layer
    spec.pop("min_slice_spacing_mm", None)   # how thin-slice scans are resampled for a 2.5D network, not a layer
    if kind == ENSEMBLE:
        return torch.nn.ModuleList([build_network(member_architecture(member)) for member in spec["members"]])
    if kind != "UNet":
        raise ValueError(f"unsupported segmentation architecture {kind!r}")
    return UNet(**spec)


def input_normalization(architecture: dict) -> str:
    """The intensity normalisation a network's weights expect: "zscore" unless its architecture names another."""
    return str(architecture.get("normalization", "zscore"))


def slice_smoothing(architecture: dict) -> float:
    """The neighbouring-slice weight for a 2.5D network's probabilities (slices.smooth_across_slices): 0 unless its
    architecture names one (set per model, where the cross-validation measured it)."""
    return float(architecture.get("slice_smoothing", 0.0))


def min_slice_spacing(architecture: dict) -> float:
    """The slice spacing (mm) a 2.5D network's architecture asks thinner scans to be resampled to before it sees
    them (slices.slice_spacing_for): 0, the scan's own slices, unless its architecture names one."""
    return float(architecture.get("min_slice_spacing_mm", 0.0))


def member_architecture(member: dict) -> dict:
    """An ensemble member's network architecture (its entry less the model space it was trained in)."""
    return {key: value for key, value in member.items() if key != "spacing_mm"}
