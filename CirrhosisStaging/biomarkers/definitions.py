"""Name -> unit and plain description of every biomarker, for reports and the UI."""

from __future__ import annotations

from .volumes import SPLENOMEGALY_THRESHOLD_ML

BIOMARKER_DEFINITIONS: dict[str, dict[str, str]] = {
    "liver_volume_ml": {"unit": "mL", "description": "Liver volume from the label map (label 1)."},
    "spleen_volume_ml": {"unit": "mL", "description": "Spleen volume from the label map (label 4); "
                                                      "empty when the map has no spleen."},
    "splenomegaly": {"unit": "", "description": f"Spleen volume above {SPLENOMEGALY_THRESHOLD_ML:g} mL, the CT "
                                                "upper limit of normal of Prassopoulos et al., Eur Radiol 1997."},
    "splenomegaly_threshold_ml": {"unit": "mL", "description": "Spleen volume threshold used for the "
                                                               "splenomegaly flag."},
    "liver_spleen_volume_ratio": {"unit": "", "description": "Liver volume divided by spleen volume; falls "
                                                             "as cirrhosis shrinks the liver and enlarges the spleen."},
    "liver_truncated": {"unit": "", "description": "The liver touches the edge of the image: the field of "
                                                   "view cuts it and its volume is a lower bound."},
    "spleen_truncated": {"unit": "", "description": "The spleen touches the edge of the image: its volume "
                                                    "is a lower bound (big spleens often reach below the scan)."},
    "surface_nodularity_mm": {"unit": "mm", "description": "Mean distance of the liver outline from its "
                                                           "smoothed envelope, measured per slice. The project's "
                                                           "own measure, not the validated LSN software score."},
    "surface_nodularity_p90_mm": {"unit": "mm", "description": "90th percentile of the same outline-to-envelope "
                                                               "distances (project's own measure, not LSN)."},
    "heterogeneity_index": {"unit": "%", "description": "Noise-corrected robust coefficient of variation of "
                                                        "the liver signal inside the liver (4 mm in from its "
                                                        "edge), after dividing by a 15 mm local mean."},
    "fib4": {"unit": "", "description": "FIB-4 = age x AST / (platelets x sqrt(ALT)) (Sterling et al., "
                                        "Hepatology 2006)."},
    "fib4_band": {"unit": "", "description": "FIB-4 < 1.45 low, 1.45-3.25 indeterminate, > 3.25 high "
                                             "probability of advanced fibrosis."},
    "apri": {"unit": "", "description": "APRI = (AST / AST upper limit of normal) x 100 / platelets "
                                        "(Wai et al., Hepatology 2003)."},
    "apri_band": {"unit": "", "description": "APRI > 1.0 suggests cirrhosis."},
}
