"""Qt-free logic of the LiverCirrhosis Slicer module: everything it does to MRML, testable with slicer-core.

Import direction: LiverCirrhosis.py (Widget) -> LiverCirrhosisLib -> CirrhosisStaging (engine). Nothing here
imports qt, ctk or slicer.app (except SceneContext.from_slicer, used inside the application); torch and monai
are never imported here at all (the engine runs in a separate process).

The names below load on first use: Slicer imports `LiverCirrhosisLib.sample_data` at start-up, which must not
pull SimpleITK, nibabel and the engine's I/O in with it (nibabel may not even be installed before the user
consents to the engine's dependencies).
"""

import importlib

_EXPORTS = {"CaseNodes": "staging_logic", "CirrhosisStagingLogic": "staging_logic", "PendingRun": "staging_logic",
            "SceneContext": "scene", "create_scene": "scene"}

__all__ = sorted(_EXPORTS)


def __getattr__(name):
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
