"""Standard codes and colours for the organs the engine segments, as 3D Slicer and DICOM expect them.

Each segment carries a SNOMED CT code so a reader (or Slicer, or a DICOM SEG converter) knows what it is
without parsing its name. Liver and spleen use the entries of Slicer's built-in "3D Slicer General Anatomy
list", so a plain Slicer recognises them; the kidneys use the single-concept SNOMED codes for right and left
kidney, defined in this extension's own context (Resources/Terminology/CirrhosisStaging.term.json, generated
from `terminology_context()` below and checked against it by the tests).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, NamedTuple

from ..data.labels import LEFT_KIDNEY, LIVER, RIGHT_KIDNEY, SPLEEN

SLICER_GENERAL_ANATOMY = "Segmentation category and type - 3D Slicer General Anatomy list"
CIRRHOSIS_STAGING_CONTEXT = "Segmentation category and type - CirrhosisStaging"
ANATOMIC_CONTEXT = "Anatomic codes - DICOM master list"
TERM_SCHEMA = "https://raw.githubusercontent.com/qiicr/dcmqi/master/doc/schemas/segment-context-schema.json#"


class Code(NamedTuple):
    """A coded concept: (coding scheme designator, code value, code meaning), as in DICOM."""
    scheme: str
    value: str
    meaning: str

    def encode(self) -> str:
        return f"{self.scheme}^{self.value}^{self.meaning}"


NO_CODE = Code("", "", "")
ANATOMICAL_STRUCTURE = Code("SCT", "123037004", "Anatomical Structure")


@dataclass(frozen=True)
class SegmentDefinition:
    label_value: int
    id: str                              # stable segment ID inside the .seg.nrrd
    name: str                            # what users see
    color_rgb255: tuple[int, int, int]
    type: Code                           # the SNOMED CT concept, e.g. SCT 10200004 Liver
    category: Code = ANATOMICAL_STRUCTURE
    type_modifier: Code = NO_CODE
    anatomic_region: Code = NO_CODE      # only for types that need a location (e.g. a lesion)
    anatomic_region_modifier: Code = NO_CODE
    context: str = SLICER_GENERAL_ANATOMY

    @property
    def color_rgb(self) -> tuple[float, float, float]:
        """Colour as 0-1 floats, as Slicer stores it."""
        return tuple(round(c / 255.0, 6) for c in self.color_rgb255)

    def terminology_entry(self) -> str:
        """Slicer's TerminologyEntry value: 7 parts separated by '~', each code as scheme^value^meaning."""
        return "~".join([
            self.context, self.category.encode(), self.type.encode(), self.type_modifier.encode(),
            ANATOMIC_CONTEXT, self.anatomic_region.encode(), self.anatomic_region_modifier.encode(),
        ])


KIDNEY_COLOR = (185, 102, 83)

STANDARD_SEGMENTS: dict[int, SegmentDefinition] = {
    LIVER: SegmentDefinition(LIVER, "liver", "Liver", (221, 130, 101), Code("SCT", "10200004", "Liver")),
    RIGHT_KIDNEY: SegmentDefinition(RIGHT_KIDNEY, "right_kidney", "Right kidney", KIDNEY_COLOR,
                                    Code("SCT", "9846003", "Right kidney"), context=CIRRHOSIS_STAGING_CONTEXT),
    LEFT_KIDNEY: SegmentDefinition(LEFT_KIDNEY, "left_kidney", "Left kidney", KIDNEY_COLOR,
                                   Code("SCT", "18639004", "Left kidney"), context=CIRRHOSIS_STAGING_CONTEXT),
    SPLEEN: SegmentDefinition(SPLEEN, "spleen", "Spleen", (157, 108, 162), Code("SCT", "78961009", "Spleen")),
}


def standard_segments(label_values: Iterable[int]) -> list[SegmentDefinition]:
    """Definitions for the given label values that have a standard one, in label order."""
    return [STANDARD_SEGMENTS[v] for v in sorted(set(int(v) for v in label_values)) if v in STANDARD_SEGMENTS]


def terminology_context(definitions: Iterable[SegmentDefinition] | None = None) -> dict:
    """A Slicer terminology context (.term.json content) listing the definitions, grouped by category."""
    definitions = list(STANDARD_SEGMENTS.values() if definitions is None else definitions)
    categories: dict[Code, list[dict]] = {}
    for definition in definitions:
        categories.setdefault(definition.category, []).append({
            "CodeMeaning": definition.type.meaning,
            "CodingSchemeDesignator": definition.type.scheme,
            "CodeValue": definition.type.value,
            "3dSlicerLabel": definition.name.lower(),
            "recommendedDisplayRGBValue": list(definition.color_rgb255),
        })
    return {
        "SegmentationCategoryTypeContextName": CIRRHOSIS_STAGING_CONTEXT,
        "@schema": TERM_SCHEMA,
        "SegmentationCodes": {
            "Category": [
                {"CodeMeaning": category.meaning, "CodingSchemeDesignator": category.scheme,
                 "CodeValue": category.value, "showAnatomy": False, "Type": types}
                for category, types in categories.items()
            ],
        },
    }
