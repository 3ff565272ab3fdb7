"""One-page case report (PDF + PNG) of a staging run: stage, probabilities, key slices, biomarkers, provenance.

Plain matplotlib (Agg/PDF canvases, no pyplot): usable from the CLI, Slicer and headless servers.
"""

from .page import build_figure, write_report
from .views import SequenceView

__all__ = ["SequenceView", "build_figure", "write_report"]
