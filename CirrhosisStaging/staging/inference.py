"""Staging a case: combined probabilities from every given sequence, and each sequence on its own, with the
conformal prediction set and how far each sequence's features lie from the training data's."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .biomarker_features import biomarker_vector, combined_vector
from .inputs import StagingInput
from .stages import model_stages


@dataclass
class StagingResult:
    probabilities: dict              # stage name -> probability (sums to 1); the model's stages only
    per_sequence: dict               # sequence -> {stage name -> probability}
    prediction_set: list | None = None          # conformal set at `coverage` (None: weights without one)
    coverage: float | None = None
    feature_distances: dict = field(default_factory=dict)   # sequence -> (distance, threshold)

    @property
    def stage(self) -> str:
        return max(self.probabilities, key=self.probabilities.get)


class Stager:
    """A loaded staging network (calibrated by its stored temperature)."""

    def __init__(self, network, device="cpu", entry=None):
        self.network = network.to(device).eval()
        self.device = device
        self.entry = entry
        self.stages = model_stages(entry.labels if entry is not None else None, network.head[-1].out_features)
        calibration = (entry.validation.get("calibration") or {}) if entry is not None else {}
        self.conformal_threshold = calibration.get("conformal_threshold")
        self.coverage = calibration.get("conformal_coverage")

    @property
    def uses_biomarkers(self) -> bool:
        return getattr(self.network, "biomarker_branch", None) is not None

    def stage(self, inputs: dict[str, StagingInput], biomarkers: dict[str, dict] | None = None) -> StagingResult:
        """`biomarkers`: sequence -> compute_biomarkers() output, read by models with a biomarker branch."""
        from .feature_reference import feature_distance
        from .training.calibration import prediction_set

        vectors = {s: biomarker_vector((biomarkers or {}).get(s)) for s in inputs}
        combined = self._probabilities({s: i.array for s, i in inputs.items()}, combined_vector(vectors.values()))
        per_sequence = {s: self._probabilities({s: inputs[s].array}, vectors[s]) for s in inputs} \
            if len(inputs) > 1 else {s: combined for s in inputs}
        distances = {s: feature_distance(self.network, inputs[s].array, s, self.device) for s in inputs}
        return StagingResult(combined, per_sequence, prediction_set(combined, self.conformal_threshold),
                             self.coverage, {s: d for s, d in distances.items() if d is not None})

    def _probabilities(self, arrays: dict[str, np.ndarray], biomarkers: np.ndarray) -> dict:
        import torch

        with torch.inference_mode():
            tensors = {s: torch.from_numpy(a)[None].to(self.device) for s, a in arrays.items()}
            vector = torch.from_numpy(biomarkers)[None].to(self.device)
            probabilities = torch.softmax(self.network(tensors, vector).float(), dim=1)[0].cpu().numpy().astype(float)
        probabilities = probabilities / probabilities.sum()
        return {name: float(p) for name, p in zip(self.stages, probabilities)}


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
