"""Staging network: one encoder per sequence, cross-sequence attention, liver-weighted pooling, 4 classes
(none, mild, moderate, severe; weights made before "none" existed have 3).

After Zeng et al. (sequence-specific encoders fused by cross-sequence attention) and Aggarwal 2025 (the liver
mask as input). Either sequence may be missing: T1W and T2W are separate, unregistered series and many
patients have only one, so the fusion works on whatever is given and training drops sequences at random.

Optionally (`biomarkers` > 0) a biomarker branch adds the logits of a linear model on the standardized
biomarker vector (volumes, ratio, nodularity, heterogeneity) to the image logits: late fusion, so the image
encoders learn what the numbers miss. Training starts that branch from the logistic-regression baseline and the
image head from zero, so the network begins exactly at the baseline and has to improve on it.
"""

from __future__ import annotations

DEFAULT_STAGING_ARCHITECTURE = {
    "class": "CrossSequenceStager",
    "in_channels": 2,                 # image, liver mask
    "channels": [8, 16, 32, 64],     # measured: [16..128] cost 2-3x the CPU time for no gain on phantoms
    "heads": 4,
    "num_classes": 4,
    "dropout": 0.2,
    "biomarkers": 5,                  # length of staging.biomarker_features.FEATURES; 0: image only
    "feature_reference": True,        # stores the training features' statistics (out-of-distribution check)
}


def build_staging_network(architecture: dict | None = None):
    spec = dict(DEFAULT_STAGING_ARCHITECTURE if architecture is None else architecture)
    kind = spec.pop("class", "CrossSequenceStager")
    if kind != "CrossSequenceStager":
        raise ValueError(f"unsupported staging architecture {kind!r}")
    return _network_class()(**spec)


def _network_class():
    """Defined lazily: torch is a heavy import and this module is loaded at Slicer start-up."""
    import torch
    from monai.networks.blocks import ResidualUnit
    from torch import nn

    class SequenceEncoder(nn.Module):
        """Strided residual 3D CNN: (B, C, z, y, x) -> feature map at 1/16 resolution."""

        def __init__(self, in_channels, channels):
            super().__init__()
            blocks, previous = [], in_channels
            for width in channels:
                blocks.append(ResidualUnit(3, previous, width, strides=2, subunits=2, norm="instance",
                                           act="PRELU"))
                previous = width
            self.blocks = nn.Sequential(*blocks)

        def forward(self, x):
            return self.blocks(x)

    class BiomarkerBranch(nn.Module):
        """Linear logits on standardized biomarkers; a missing value (or a feature never seen in training)
        contributes nothing, as the baseline's mean imputation does."""

        def __init__(self, features, num_classes):
            super().__init__()
            self.linear = nn.Linear(features, num_classes)
            self.register_buffer("mean", torch.zeros(features))
            self.register_buffer("scale", torch.ones(features))
            self.register_buffer("used", torch.ones(features))   # 0 for features absent from the training data

        def forward(self, biomarkers, batch, device):
            if biomarkers is None:
                biomarkers = torch.full((batch, len(self.mean)), float("nan"), device=device)
            standardized = (biomarkers.float() - self.mean) / self.scale
            standardized = torch.where(torch.isnan(standardized), torch.zeros_like(standardized), standardized)
            return self.linear(standardized * self.used)

    class CrossSequenceStager(nn.Module):
        def __init__(self, in_channels=2, channels=(8, 16, 32, 64), heads=4, num_classes=4, dropout=0.2,
                     biomarkers=0, feature_reference=False):
            super().__init__()
            width = channels[-1]
            self.encoders = nn.ModuleDict({s: SequenceEncoder(in_channels, channels) for s in ("t1", "t2")})
            # t1 queries t2 and t2 queries t1: each sequence borrows what the other sees.
            self.cross = nn.ModuleDict({s: nn.MultiheadAttention(width, heads, batch_first=True) for s in ("t1", "t2")})
            self.norm = nn.ModuleDict({s: nn.LayerNorm(width) for s in ("t1", "t2")})
            self.head = nn.Sequential(nn.LayerNorm(width), nn.Dropout(dropout), nn.Linear(width, num_classes))
            # Calibration (temperature scaling), fitted on validation data after training.
            self.register_buffer("temperature", torch.ones(1))
            self.biomarker_branch = BiomarkerBranch(biomarkers, num_classes) if biomarkers else None
            # Per sequence: mean, precision matrix and distance threshold of the training cases' encoder features
            # (liver-weighted mean, box mean, box spread: 3 x width), fitted after training
            # (staging/feature_reference.py); zero threshold = not fitted.
            if feature_reference:
                self.register_buffer("reference_mean", torch.zeros(2, 3 * width))
                self.register_buffer("reference_precision", torch.zeros(2, 3 * width, 3 * width))
                self.register_buffer("reference_threshold", torch.zeros(2))

        @property
        def has_feature_reference(self) -> bool:
            return hasattr(self, "reference_threshold")

        def forward(self, inputs: dict, biomarkers=None):
            """inputs: {"t1": (B, 2, z, y, x), "t2": ...}, one or both; biomarkers: (B, features) raw values, NaN
            where missing (None: all missing). Returns calibrated logits (B, classes)."""
            pooled = self.embed(inputs)
            logits = self.head(pooled)
            if self.biomarker_branch is not None:
                logits = logits + self.biomarker_branch(biomarkers, len(pooled), pooled.device)
            return logits / self.temperature

        def embed(self, inputs: dict):
            """The pooled features (B, C) the head reads."""
            present = [s for s in ("t1", "t2") if inputs.get(s) is not None]
            if not present:
                raise ValueError("staging needs at least one of t1, t2")
            tokens, weights = {}, {}
            for s in present:
                features = self.encoders[s](inputs[s])                          # (B, C, z', y', x')
                tokens[s] = features.flatten(2).transpose(1, 2)                 # (B, N, C)
                liver = nn.functional.adaptive_avg_pool3d(inputs[s][:, 1:2], features.shape[2:])
                weights[s] = liver.flatten(1) + 0.05                            # liver-weighted, never zero
            fused = []
            for s in present:
                other = next((o for o in present if o != s), None)
                x = tokens[s]
                if other is not None:
                    attended, _ = self.cross[s](self.norm[s](x), tokens[other], tokens[other])
                    x = x + attended
                w = weights[s] / weights[s].sum(dim=1, keepdim=True)
                fused.append((x * w.unsqueeze(-1)).sum(dim=1))
            return torch.stack(fused).mean(dim=0)

    return CrossSequenceStager
