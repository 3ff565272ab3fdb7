"""Trained model weights: the manifest that describes them, where they are found, and their integrity checks.

Heavy imports (torch) happen only inside `load_state_dict`.
"""

from .manifest import (MANIFEST_ENV, Manifest, ModelEntry, default_manifest_path, find_model, load_manifest,
                       version_key)
from .register import write_manifest_entry
from .state_dict import load_state_dict
from .weights import (CACHE_ENV, cached_path, clear_cache, models_cache_dir, resolve_weights, sha256_of,
                      verify_sha256, verify_weights)

__all__ = [
    "CACHE_ENV", "MANIFEST_ENV", "Manifest", "ModelEntry", "cached_path", "clear_cache", "default_manifest_path",
    "find_model", "load_manifest", "load_state_dict", "models_cache_dir", "resolve_weights", "sha256_of",
    "verify_sha256", "verify_weights", "version_key", "write_manifest_entry",
]
