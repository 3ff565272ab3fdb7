"""Which Slicer can run the engine, and which Python packages it still lacks there.

Supported: 3D Slicer 5.10 or newer (Python 3.12). Slicer 5.8 and older ship Python 3.9, which neither the
engine nor its packages support; they are refused before anything is installed.

Packages Slicer bundles (numpy, scipy, SimpleITK) are used as they are: they have a minimum version only, so
pip never replaces them unless the engine truly needs a newer one. The others are pinned (wheels exist for
Python 3.12) but an already installed, new enough version (another extension's) is kept. torch comes from the
PyTorch extension (PyTorchUtils picks the CUDA build for the machine), never from a plain pip install.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import sys
from dataclasses import dataclass

from CirrhosisStaging.versions import version_key

MINIMUM_SLICER = (5, 10)
MINIMUM_PYTHON = (3, 11)         # what the pins need (matplotlib 3.11); Slicer 5.10 ships 3.12
TORCH_REQUIREMENT = ">=2.8"          # monai 1.6 needs torch 2.8
TORCH_MINIMUM = "2.8"


@dataclass(frozen=True)
class Requirement:
    distribution: str     # the name pip and importlib.metadata know
    minimum: str          # an installed version at least this is used as it is
    pin: str | None       # what is installed when missing or too old; None: `distribution>=minimum`

    @property
    def specifier(self) -> str:
        return f"{self.distribution}=={self.pin}" if self.pin else f"{self.distribution}>={self.minimum}"


# Every third-party package the engine imports (import name -> requirement), torch aside.
# Testing/slicer/test_dependencies.py checks this against the engine's imports and requirements.txt.
ENGINE_REQUIREMENTS = {
    "numpy": Requirement("numpy", "1.26", None),            # bundled with Slicer
    "scipy": Requirement("scipy", "1.11.2", None),          # bundled with Slicer
    "SimpleITK": Requirement("SimpleITK", "2.3", None),     # bundled with Slicer
    "monai": Requirement("monai", "1.6.1", "1.6.1"),
    "nibabel": Requirement("nibabel", "5.4.2", "5.4.2"),
    "matplotlib": Requirement("matplotlib", "3.11.2", "3.11.2"),
    "tqdm": Requirement("tqdm", "4.70.1", "4.70.1"),
}
# Imported by engine commands that never run inside Slicer (`web` serves the browser app).
NOT_USED_IN_SLICER = {"LiverCirrhosisWeb"}


def unsupported_slicer(slicer_version: tuple[int, int], python_version: tuple = tuple(sys.version_info)) -> str | None:
    """A message for the user when this Slicer cannot run the engine, else None."""
    major_minor = tuple(int(v) for v in slicer_version[:2])
    python = tuple(python_version[:2])
    if major_minor >= MINIMUM_SLICER and python >= MINIMUM_PYTHON:
        return None
    wanted = ".".join(map(str, MINIMUM_SLICER))
    return (f"Cirrhosis Staging needs 3D Slicer {wanted} or newer (Python {'.'.join(map(str, MINIMUM_PYTHON))}); "
            f"this is Slicer {'.'.join(map(str, major_minor))} with Python {'.'.join(map(str, python))}. "
            f"Nothing was installed. Please install Slicer {wanted} or newer.")


def installed_version(distribution: str) -> str | None:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def _usable(import_name: str, distribution: str, minimum: str) -> bool:
    if importlib.util.find_spec(import_name) is None:
        return False
    version = installed_version(distribution)
    return version is not None and version_key(version.split("+")[0]) >= version_key(minimum)


def missing_requirements(requirements: dict = ENGINE_REQUIREMENTS) -> list[str]:
    """pip specifiers of the engine's packages that are missing or too old (torch is separate)."""
    importlib.invalidate_caches()   # packages pip installed a moment ago
    return [r.specifier for name, r in requirements.items() if not _usable(name, r.distribution, r.minimum)]


def torch_missing() -> bool:
    importlib.invalidate_caches()
    return not _usable("torch", "torch", TORCH_MINIMUM)
