"""The shipped segmentation model, from manifest entry to a ready Segmenter."""

from __future__ import annotations

from ..models import find_model, load_state_dict
from .inference import NetworkMember, Segmenter
from .network import (ENSEMBLE, build_network, input_normalization, member_architecture, min_slice_spacing,
                      slice_smoothing)
from .slices import context_slices


def load_segmenter(device: str = "auto", model_name: str | None = None, allow_download: bool = False,
                   sequence: str | None = None) -> Segmenter:
    """`model_name`, or the newest segmentation model in the manifest made for `sequence` (any, when None), weights
    checked against their sha256."""
    from ..devices import select_device

    torch_device = select_device(device)
    entry = find_model("segmentation", model_name, sequence=sequence)
    network = build_network(entry.architecture)
    network.load_state_dict(load_state_dict(entry, device="cpu", allow_download=allow_download))
    if entry.architecture.get("class") == ENSEMBLE:
        members = [network_member(module, member_architecture(member), member["spacing_mm"])
                   for module, member in zip(network, entry.architecture["members"])]
    else:
        members = [network_member(network, entry.architecture, entry.spacing_mm)]
    return Segmenter.ensemble(members, torch_device, entry)


def network_member(network, architecture: dict, spacing_xyz, smoothing: float | None = None,
                   min_slice_spacing_mm: float | None = None) -> NetworkMember:
    """A network with the model space and inference options its architecture dict names (context slices,
    normalisation, slice smoothing, minimum slice spacing); `smoothing` / `min_slice_spacing_mm` override the last two
    (fold runs' architectures name neither until they are shipped)."""
    return NetworkMember(network, spacing_xyz, context_slices(architecture), input_normalization(architecture),
                         slice_smoothing(architecture) if smoothing is None else smoothing,
                         min_slice_spacing(architecture) if min_slice_spacing_mm is None else min_slice_spacing_mm)
