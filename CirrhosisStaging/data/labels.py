"""Label and stage codes shared by the dataset readers, training and reports.

Organ codes follow the CHAOS label files; CirrMRI600+ liver masks use the same value 1 for liver,
so a liver mask from either source can be compared with `mask == LIVER`.
"""

BACKGROUND = 0
LIVER = 1
RIGHT_KIDNEY = 2
LEFT_KIDNEY = 3
SPLEEN = 4

CHAOS_LABEL_NAMES = {
    BACKGROUND: "background",
    LIVER: "liver",
    RIGHT_KIDNEY: "right kidney",
    LEFT_KIDNEY: "left kidney",
    SPLEEN: "spleen",
}

# CirrMRI600+ "Radiological Evaluation" (1..3); 0 is our code for the release's healthy subjects.
STAGE_HEALTHY = 0
STAGE_MILD = 1
STAGE_MODERATE = 2
STAGE_SEVERE = 3

STAGE_NAMES = {
    STAGE_HEALTHY: "healthy",
    STAGE_MILD: "mild",
    STAGE_MODERATE: "moderate",
    STAGE_SEVERE: "severe",
}
