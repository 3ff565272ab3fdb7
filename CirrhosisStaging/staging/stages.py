"""The three stages of the CirrMRI600+ radiological evaluation, and their indices in the network output."""

STAGES = ("mild", "moderate", "severe")           # network output order
EVALUATION_TO_INDEX = {1: 0, 2: 1, 3: 2}          # CirrMRI600+ "Radiological Evaluation" -> output index
SEQUENCES = ("t1", "t2")
