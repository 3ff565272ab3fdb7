"""Synthetic abdominal MRI phantoms of healthy and cirrhotic livers, written in the CirrMRI600+ layout.

make_case(stage, seed, sequence) gives one series of one patient; write_release(...) a whole cohort.
Plain numpy/scipy/SimpleITK: no Slicer, Qt or torch.
"""

from .generator import ORGAN_CODES, PhantomCase, make_case
from .release_writer import write_release

__all__ = ["ORGAN_CODES", "PhantomCase", "make_case", "write_release"]
