"""Stage, probabilities and biomarkers in a table node (one row per quantity), and what changed on re-staging."""

from __future__ import annotations

from CirrhosisStaging.staging.stages import STAGES, stage_label

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
    rows = [("Stage", stage_label(result["stage"]), stage_label(previous["stage"]) if previous else "",
             _stage_change(result, previous), "")]
    for stage in STAGES:
        now = result["probabilities"].get(stage)
        if now is None:
            continue   # weights made before "none" existed do not assess it
        before = (previous or {}).get("probabilities", {}).get(stage)
        rows.append((f"P({stage})", f"{now:.3f}", "" if before is None else f"{before:.3f}",
                     "" if before is None else f"{now - before:+.3f}", ""))
    stage_set = prediction_set_text(result)
    if stage_set:
        rows.append(("Prediction set", stage_set, prediction_set_text(previous or {}), "", ""))
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


def stage_summary(result: dict) -> str:
    """The panel's one line: "Stage: no cirrhosis (none 0.91, mild 0.06, ...); 90% set: no cirrhosis"."""
    probabilities = ", ".join(f"{k} {v:.2f}" for k, v in result["probabilities"].items() if v is not None)
    stage_set = prediction_set_text(result)
    return f"Stage: {stage_label(result['stage'])} ({probabilities})" + (f"; {stage_set}" if stage_set else "")


def prediction_set_text(result: dict) -> str:
    """ "90% set: moderate or severe" (the conformal prediction set), or "" when the result has none."""
    prediction_set = result.get("prediction_set")
    if not isinstance(prediction_set, dict) or not prediction_set.get("stages"):
        return ""
    coverage = prediction_set.get("coverage")
    prefix = f"{100 * coverage:.0f}% set" if isinstance(coverage, (int, float)) else "prediction set"
    return f"{prefix}: " + " or ".join(stage_label(s) for s in prediction_set["stages"])


def _stage_change(result, previous) -> str:
    if not previous:
        return ""
    before, now = stage_label(previous["stage"]), stage_label(result["stage"])
    return "unchanged" if before == now else f"{before} -> {now}"


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
