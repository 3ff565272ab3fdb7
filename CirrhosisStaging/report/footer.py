"""Provenance footer: models (name, version, sha256 prefix), device, engine version, creation time."""

from __future__ import annotations

from . import style
from .formatting import NOT_AVAILABLE, plain, short_sha

HEIGHT_IN = 0.62


def model_text(role: str, model) -> str:
    if not isinstance(model, dict):
        return f"{role} model: {'none (mask from user)' if role == 'Segmentation' else NOT_AVAILABLE}"
    name = plain(model.get("name"), 40) or NOT_AVAILABLE
    version = plain(model.get("version"), 20) or NOT_AVAILABLE
    text = f"{role} model: {name} {version} (sha256 {short_sha(model.get('sha256'))})"
    if model.get("demonstration_only"):
        text += ", demonstration weights"
    return text


def other_segmentation_models(result: dict) -> str:
    """" (T1W masks), T2W masks: name-version" when another model drew some sequence's masks (T1W and T2W may each
    have their own default model): which masks the named model drew, then the others; empty when one drew them all."""
    models = result.get("models") if isinstance(result.get("models"), dict) else {}
    main = models.get("segmentation") if isinstance(models.get("segmentation"), dict) else {}
    main_key = f"{main.get('name')}-{main.get('version')}"
    sequences = result.get("sequences") if isinstance(result.get("sequences"), dict) else {}
    drawn = {name: part.get("segmentation_model") for name, part in sequences.items() if isinstance(part, dict)}
    others = [f", {plain(name, 4).upper()}W masks: {plain(key, 60)}" for name, key in drawn.items()
              if key not in (None, main_key)]
    if not others:
        return ""
    own = "/".join(f"{plain(name, 4).upper()}W" for name, key in drawn.items() if key == main_key)
    return (f" ({own} masks)" if own else "") + "".join(others)


def footer_lines(result: dict) -> list[str]:
    models = result.get("models") if isinstance(result.get("models"), dict) else {}
    run = [
        f"device: {plain(result.get('device'), 24) or NOT_AVAILABLE}",
        f"engine: CirrhosisStaging {plain(result.get('engine_version'), 24) or NOT_AVAILABLE}",
        f"created: {plain(result.get('created'), 40) or NOT_AVAILABLE}",
        f"result schema {plain(result.get('schema_version'), 8) or NOT_AVAILABLE}",
    ]
    segmentation = model_text("Segmentation", models.get("segmentation"))
    others = other_segmentation_models(result)
    staging = model_text("Staging", models.get("staging"))
    if others:   # two segmentation models do not fit one line beside the stager: a line each
        return [segmentation + others, staging, "   |   ".join(run)]
    return ["   |   ".join((segmentation, staging)), "   |   ".join(run)]


def draw(figure, band, result: dict) -> None:
    axis = band.inch_axes(figure)
    width, height = band.width_in, band.height_in
    axis.plot([0, width], [height - 0.04, height - 0.04], color=style.RULE, linewidth=0.6)
    lines = footer_lines(result)
    step = 0.15 if len(lines) <= 2 else 0.11   # three lines close up to stay above the italic notice
    for number, line in enumerate(lines):
        axis.text(0, height - 0.1 - step * number, line, fontsize=style.FONT_TINY, color=style.MUTED, va="top",
                  parse_math=False)
    axis.text(0, 0.02, "Images in radiological convention (patient's right on the left of each picture). "
              "Automated output for research; every value needs expert review.",
              fontsize=style.FONT_TINY, color=style.MUTED, va="bottom", style="italic")
