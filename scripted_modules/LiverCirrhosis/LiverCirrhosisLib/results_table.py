"""Stage, probabilities and biomarkers in a table node (one row per quantity), and what changed on re-staging."""

from __future__ import annotations

from CirrhosisStaging.staging.stages import STAGES

from .result_warnings import result_warnings

BIOMARKER_ROWS = (
    ("liver_volume_ml", "Liver volume", "mL"),
    ("spleen_volume_ml", "Spleen volume", "mL"),
    ("splenomegaly", "Splenomegaly", ""),
    ("liver_spleen_volume_ratio", "Liver/spleen volume ratio", ""),
    ("surface_nodularity_mm", "Surface nodularity index (project measure)", "mm"),
    ("heterogeneity_index", "Parenchymal heterogeneity", ""),
    ("fib4", "FIB-4", ""),
    ("apri", "APRI", ""),
)
COLUMNS = ("Quantity", "Value", "Previous", "Change", "Unit")


def result_rows(result: dict, previous: dict | None = None) -> list[tuple[str, str, str, str, str]]:
    """(quantity, value, previous value, change, unit) rows for a result.json dict."""
    rows = [("Stage", result["stage"], previous["stage"] if previous else "",
             _stage_change(result, previous), "")]
    for stage in STAGES:
        now = result["probabilities"][stage]
        before = previous["probabilities"][stage] if previous else None
        rows.append((f"P({stage})", f"{now:.3f}", "" if before is None else f"{before:.3f}",
                     "" if before is None else f"{now - before:+.3f}", ""))
    biomarkers, before_biomarkers = result.get("biomarkers", {}), (previous or {}).get("biomarkers", {})
    for key, label, unit in BIOMARKER_ROWS:
        if biomarkers.get(key) is None:
            continue
        rows.append((label, _text(biomarkers[key]), _text(before_biomarkers.get(key)),
                     _change(biomarkers[key], before_biomarkers.get(key)), unit))
    rows += [("Warning", line, "", "", "") for line in result_warnings(result)]
    rows.append(("Notice", result.get("notice") or "", "", "", ""))
    return rows


def fill_results_table(scene, result: dict, previous: dict | None = None, table_node=None):
    """Write the rows into `table_node` (a new vtkMRMLTableNode if None) and return it."""
    from vtkmodules.vtkCommonCore import vtkStringArray
    from vtkmodules.vtkCommonDataModel import vtkTable

    rows = result_rows(result, previous)
    table = vtkTable()
    for column, title in enumerate(COLUMNS):
        array = vtkStringArray()
        array.SetName(title)
        for row in rows:
            array.InsertNextValue(row[column])
        table.AddColumn(array)
    if table_node is None:
        table_node = scene.AddNewNodeByClass("vtkMRMLTableNode", "Cirrhosis staging results")
    table_node.SetAndObserveTable(table)
    table_node.SetUseColumnTitleAsColumnHeader(True)
    table_node.SetAttribute("LiverCirrhosis.DemonstrationOnly", str(bool(result.get("demonstration_only"))))
    return table_node


def _stage_change(result, previous) -> str:
    if not previous:
        return ""
    return "unchanged" if previous["stage"] == result["stage"] else f"{previous['stage']} -> {result['stage']}"


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return f"{value:.2f}" if isinstance(value, float) else str(value)


def _change(now, before) -> str:
    if before is None or isinstance(now, (bool, str)) or isinstance(before, (bool, str)):
        return "" if before is None or now == before else f"{_text(before)} -> {_text(now)}"
    return f"{now - before:+.2f}"
