"""Output classes of the segmentation model (the CHAOS label codes, which the phantoms share)."""

from ..data.labels import BACKGROUND, LEFT_KIDNEY, LIVER, RIGHT_KIDNEY, SPLEEN

CLASS_NAMES = {BACKGROUND: "background", LIVER: "liver", RIGHT_KIDNEY: "right kidney", LEFT_KIDNEY: "left kidney",
               SPLEEN: "spleen"}
NUM_CLASSES = len(CLASS_NAMES)
