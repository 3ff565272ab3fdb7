"""The staging outcomes and their indices in the network output.

Four outcomes: "none" (no cirrhosis: CirrMRI600+'s healthy subjects) and the release's radiological evaluation
(1 mild, 2 moderate, 3 severe). Weights made before "none" existed output the three cirrhotic stages only; their
manifest entry lists them, and `model_stages` reads that list so such weights still load and run.
"""

STAGES = ("none", "mild", "moderate", "severe")   # output order of current weights
CIRRHOTIC_STAGES = STAGES[1:]                     # the three classes of Zeng et al. and of 3-class weights
NO_CIRRHOSIS = "none"
EVALUATION_TO_INDEX = {0: 0, 1: 1, 2: 2, 3: 3}    # 0 healthy subject, else CirrMRI600+ "Radiological Evaluation"
SEQUENCES = ("t1", "t2")
STAGE_LABELS = {"none": "no cirrhosis", "mild": "mild", "moderate": "moderate", "severe": "severe"}


def stage_label(stage) -> str:
    """What a person reads: "no cirrhosis" for "none", the stage name otherwise."""
    return STAGE_LABELS.get(stage, str(stage))


def model_stages(labels: dict | None, num_classes: int) -> tuple[str, ...]:
    """Output index -> stage name of a model: from its manifest labels, else by the number of classes."""
    if labels:
        names = tuple(labels[index] for index in sorted(labels, key=int))
        if len(names) == num_classes and set(names) <= set(STAGES):
            return names
    if num_classes == len(STAGES):
        return STAGES
    if num_classes == len(CIRRHOTIC_STAGES):
        return CIRRHOTIC_STAGES
    raise ValueError(f"a staging model with {num_classes} outputs: expected {len(STAGES)} or {len(CIRRHOTIC_STAGES)}")
