"""Blood-test fibrosis scores: FIB-4 and APRI, with their published interpretation bands.

FIB-4 (Sterling RK, et al. Development of a simple noninvasive index to predict significant
fibrosis in patients with HIV/HCV coinfection. Hepatology 2006;43:1317-1325):
    age [years] x AST [U/L] / (platelets [10^9/L] x sqrt(ALT [U/L]));
    < 1.45 low probability of advanced fibrosis, > 3.25 high, in between indeterminate.
APRI (Wai CT, et al. A simple noninvasive index can predict both significant fibrosis and
cirrhosis in patients with chronic hepatitis C. Hepatology 2003;38:518-526):
    (AST / AST upper limit of normal) x 100 / platelets [10^9/L];
    > 1.0 suggests cirrhosis.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

from ..errors import InputError

FIB4_LOW_BELOW = 1.45
FIB4_HIGH_ABOVE = 3.25
APRI_CIRRHOSIS_ABOVE = 1.0


# Widest values a living patient can have (upper ends well past published extremes: AST/ALT in acute
# liver failure reach about 10000 U/L, platelets in thrombocythaemia about 2000 x 10^9/L). Outside them
# the number is a typo or a unit mix-up, and FIB-4/APRI would be nonsense or overflow.
PHYSIOLOGICAL_RANGES = {   # field: (lowest, highest, unit, command-line option)
    "age_years": (0.1, 120.0, "years", "--age"),
    "ast_u_l": (1.0, 20000.0, "U/L", "--ast"),
    "alt_u_l": (1.0, 20000.0, "U/L", "--alt"),
    "platelets_10e9_l": (1.0, 3000.0, "x 10^9/L", "--platelets"),
    "ast_upper_limit_u_l": (10.0, 200.0, "U/L", None),
}


def _positive(name: str, value) -> float:
    """The value as a float, or InputError naming the field (bool, text, NaN, <= 0, outside the physiological
    range are refused)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InputError(None, f"{name} must be a number, got {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise InputError(None, f"{name} must be a finite number, got {value!r}")
    if value <= 0:
        raise InputError(None, f"{name} must be greater than zero, got {value:g}")
    low, high, unit, option = PHYSIOLOGICAL_RANGES[name]
    if not low <= value <= high:
        label = f"{name} ({option})" if option else name
        raise InputError(None, f"{label} {value:g} {unit} is outside the physiological range {low:g} to {high:g} "
                               f"{unit}; check the value and its unit")
    return value


@dataclass(frozen=True)
class ClinicalInputs:
    """Optional blood tests and age of the patient; validated when made."""
    age_years: float
    ast_u_l: float
    alt_u_l: float
    platelets_10e9_l: float
    ast_upper_limit_u_l: float = 40.0

    def __post_init__(self):
        for name in ("age_years", "ast_u_l", "alt_u_l", "platelets_10e9_l", "ast_upper_limit_u_l"):
            object.__setattr__(self, name, _positive(name, getattr(self, name)))


def fib4(age_years, ast_u_l, alt_u_l, platelets_10e9_l) -> float:
    """FIB-4 = age x AST / (platelets x sqrt(ALT)) (Sterling 2006)."""
    age = _positive("age_years", age_years)
    ast = _positive("ast_u_l", ast_u_l)
    alt = _positive("alt_u_l", alt_u_l)
    platelets = _positive("platelets_10e9_l", platelets_10e9_l)
    return age * ast / (platelets * math.sqrt(alt))


def apri(ast_u_l, platelets_10e9_l, ast_upper_limit_u_l=40.0) -> float:
    """APRI = (AST / upper limit of normal) x 100 / platelets (Wai 2003)."""
    ast = _positive("ast_u_l", ast_u_l)
    platelets = _positive("platelets_10e9_l", platelets_10e9_l)
    upper = _positive("ast_upper_limit_u_l", ast_upper_limit_u_l)
    return ast / upper * 100.0 / platelets


def fib4_band(score: float) -> str:
    """'low' (< 1.45), 'indeterminate' (1.45-3.25) or 'high' (> 3.25), Sterling 2006."""
    if score < FIB4_LOW_BELOW:
        return "low"
    return "high" if score > FIB4_HIGH_ABOVE else "indeterminate"


def apri_band(score: float) -> str:
    """'suggests cirrhosis' above 1.0 (Wai 2003), otherwise 'below cirrhosis cut-off'."""
    return "suggests cirrhosis" if score > APRI_CIRRHOSIS_ABOVE else "below cirrhosis cut-off"


def clinical_scores(inputs: ClinicalInputs) -> dict:
    """FIB-4 and APRI with their bands."""
    f = fib4(inputs.age_years, inputs.ast_u_l, inputs.alt_u_l, inputs.platelets_10e9_l)
    a = apri(inputs.ast_u_l, inputs.platelets_10e9_l, inputs.ast_upper_limit_u_l)
    return {"fib4": f, "fib4_band": fib4_band(f), "apri": a, "apri_band": apri_band(a)}
