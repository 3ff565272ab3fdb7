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
        members = [NetworkMember(module, member["spacing_mm"], context_slices(member_architecture(member)),
                                 input_normalization(member), slice_smoothing(member), min_slice_spacing(member))
                   for module, member in zip(network, entry.architecture["members"])]
        return Segmenter.ensemble(members, torch_device, entry)
    return Segmenter(network, entry.spacing_mm, torch_device, entry, context=context_slices(entry.architecture),
                     normalization=input_normalization(entry.architecture),
                     slice_smoothing=slice_smoothing(entry.architecture),
                     min_slice_spacing_mm=min_slice_spacing(entry.architecture))
