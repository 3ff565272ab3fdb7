"""Qt-free logic of the LiverCirrhosis Slicer module: everything it does to MRML, testable with slicer-core.

Import direction: LiverCirrhosis.py (Widget) -> LiverCirrhosisLib -> CirrhosisStaging (engine). Nothing here
imports qt, ctk or slicer.app (except SceneContext.from_slicer, used inside the application); torch and monai
are never imported here at all (the engine runs in a separate process).
"""

from .scene import SceneContext, create_scene
from .staging_logic import CaseNodes, CirrhosisStagingLogic, PendingRun

__all__ = ["CaseNodes", "CirrhosisStagingLogic", "PendingRun", "SceneContext", "create_scene"]
