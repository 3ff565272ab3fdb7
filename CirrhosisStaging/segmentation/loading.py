"""The shipped segmentation model, from manifest entry to a ready Segmenter."""

from __future__ import annotations

from ..models import find_model, load_state_dict
from .inference import Segmenter
from .network import build_network


def load_segmenter(device: str = "auto", model_name: str | None = None, allow_download: bool = False) -> Segmenter:
    """Newest segmentation model in the manifest (or `model_name`), weights checked against their sha256."""
    from ..devices import select_device

    torch_device = select_device(device)
    entry = find_model("segmentation", model_name)
    network = build_network(entry.architecture)
    network.load_state_dict(load_state_dict(entry, device="cpu", allow_download=allow_download))
    return Segmenter(network, entry.spacing_mm, torch_device, entry)
