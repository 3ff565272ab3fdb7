"""Staging a case: combined probabilities from every given sequence, and each sequence on its own."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .biomarker_features import biomarker_vector, combined_vector
from .inputs import StagingInput
from .stages import STAGES


@dataclass
class StagingResult:
    probabilities: dict              # stage name -> probability (sums to 1)
    per_sequence: dict               # sequence -> {stage name -> probability}

    @property
    def stage(self) -> str:
        return max(self.probabilities, key=self.probabilities.get)


class Stager:
    """A loaded staging network (calibrated by its stored temperature)."""

    def __init__(self, network, device="cpu", entry=None):
        self.network = network.to(device).eval()
        self.device = device
        self.entry = entry

    @property
    def uses_biomarkers(self) -> bool:
        return getattr(self.network, "biomarker_branch", None) is not None

    def stage(self, inputs: dict[str, StagingInput], biomarkers: dict[str, dict] | None = None) -> StagingResult:
        """`biomarkers`: sequence -> compute_biomarkers() output, read by models with a biomarker branch."""
        vectors = {s: biomarker_vector((biomarkers or {}).get(s)) for s in inputs}
        combined = self._probabilities({s: i.array for s, i in inputs.items()}, combined_vector(vectors.values()))
        per_sequence = {s: self._probabilities({s: inputs[s].array}, vectors[s]) for s in inputs} \
            if len(inputs) > 1 else {s: combined for s in inputs}
        return StagingResult(combined, per_sequence)

    def _probabilities(self, arrays: dict[str, np.ndarray], biomarkers: np.ndarray) -> dict:
        import torch

        with torch.inference_mode():
            tensors = {s: torch.from_numpy(a)[None].to(self.device) for s, a in arrays.items()}
            vector = torch.from_numpy(biomarkers)[None].to(self.device)
            probabilities = torch.softmax(self.network(tensors, vector).float(), dim=1)[0].cpu().numpy().astype(float)
        probabilities = probabilities / probabilities.sum()
        return {name: float(p) for name, p in zip(STAGES, probabilities)}


def load_stager(device: str = "auto", model_name: str | None = None, allow_download: bool = False) -> Stager:
    """Newest staging model in the manifest (or `model_name`), weights checked against their sha256."""
    from ..devices import select_device
    from ..models import find_model, load_state_dict
    from .network import build_staging_network

    torch_device = select_device(device)
    entry = find_model("staging", model_name)
    network = build_staging_network(entry.architecture)
    network.load_state_dict(load_state_dict(entry, device="cpu", allow_download=allow_download))
    return Stager(network, torch_device, entry)
