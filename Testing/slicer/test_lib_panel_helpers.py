"""What the panel shows besides the stage, on real MRML: the engine's warnings (mask checks, out-of-distribution
inputs) when result.json has them and nothing when it has not, which volumes the selectors offer, and progress
during Segment, which announces no steps."""

from __future__ import annotations

import sys
import time

import SimpleITK as sitk

BASE_RESULT = {"stage": "moderate", "probabilities": {"mild": 0.2, "moderate": 0.5, "severe": 0.3},
               "biomarkers": {"liver_volume_ml": 1500.0}, "notice": "Demonstration only",
               "sequences": {"t1": {"biomarkers": {}}, "t2": {"biomarkers": {}}}}


def test_warnings_from_mask_quality_and_the_warnings_list():
    from LiverCirrhosisLib.result_warnings import result_warnings

    assert result_warnings(BASE_RESULT) == []   # an engine that writes neither key: no warnings, no error
    result = {**BASE_RESULT,
              "sequences": {"t1": {"mask_quality": {"status": "check", "reasons": ["liver volume 310 mL is small",
                                                                                     "3 disconnected pieces"]}},
                            "t2": {"mask_quality": {"status": "ok", "reasons": []}}},
              "warnings": [{"code": "mask_check", "sequence": "t1", "message": "liver volume 310 mL is small"},
                           {"code": "mask_check", "sequence": "t2", "message": "mask touches the image border"},
                           {"code": "out_of_distribution", "sequence": "t2",
                            "message": "Intensities unlike the training data: check the sequence"}]}
    assert result_warnings(result) == [
        "Check the liver mask: liver volume 310 mL is small; 3 disconnected pieces (T1W)",
        "Check the liver mask: mask touches the image border (T2W)",
        "Intensities unlike the training data: check the sequence (T2W)"]


def test_warnings_appear_in_the_results_table(context):
    from LiverCirrhosisLib.results_table import fill_results_table

    result = {**BASE_RESULT, "warnings": [{"code": "out_of_distribution", "sequence": None,
                                           "message": "Field of view unlike the training data"}]}
    table = fill_results_table(context.scene, result).GetTable()
    rows = [[table.GetValue(r, c).ToString() for c in range(2)] for r in range(table.GetNumberOfRows())]
    assert ["Warning", "Field of view unlike the training data"] in rows
    assert rows[-1][0] == "Notice"
    plain = fill_results_table(context.scene, BASE_RESULT).GetTable()
    assert all(plain.GetValue(r, 0).ToString() != "Warning" for r in range(plain.GetNumberOfRows()))


def test_selectors_offer_scalar_volumes_but_not_label_maps_or_attention_maps(context, phantom_files, tmp_path):
    from LiverCirrhosisLib.attention_overlay import add_attention_volume
    from LiverCirrhosisLib.export import save_scene_bundle
    from LiverCirrhosisLib.input_volumes import hidden_volume_ids, is_input_volume
    from LiverCirrhosisLib.volume_io import add_volume_from_image, image_from_volume_node, load_volume

    volume = load_volume(context, phantom_files["t2"])
    image = image_from_volume_node(volume)
    labels = add_volume_from_image(context.scene, sitk.Cast(image > 100, sitk.sitkUInt8), "labels",
                                   node_class="vtkMRMLLabelMapVolumeNode")
    attention = add_attention_volume(context, sitk.Cast(image * 0, sitk.sitkFloat32), volume)
    assert is_input_volume(volume) and not is_input_volume(labels) and not is_input_volume(attention)
    assert sorted(hidden_volume_ids(context.scene)) == sorted([labels.GetID(), attention.GetID()])

    from LiverCirrhosisLib import create_scene

    reloaded = create_scene()   # the role is saved with the scene: a reloaded attention map stays hidden
    assert reloaded.scene.ReadFromMRB(str(save_scene_bundle(context.scene, tmp_path / "scene.mrb")))
    hidden = {reloaded.scene.GetNodeByID(i).GetName() for i in hidden_volume_ids(reloaded.scene)}
    assert hidden == {"labels", attention.GetName()}


def test_segment_progress_follows_the_expected_time_and_never_claims_done_early():
    from LiverCirrhosisLib.engine_process import EngineJob
    from LiverCirrhosisLib.staging_logic import PendingRun

    job = EngineJob([sys.executable, "-c", "import time; time.sleep(1.5)"])
    pending = PendingRun(job, finish=lambda: None, expected_seconds=2.0)
    time.sleep(0.4)
    before = time.monotonic() - job.started
    progress = pending.progress()
    after = time.monotonic() - job.started
    assert before / 2.0 <= progress <= min(0.95, after / 2.0)   # time spent against time expected
    time.sleep(max(0.0, 2.0 - after))
    assert pending.progress() == 0.95   # past the expected time: held below 1 until the end is seen
    job.wait(10)
    assert job.state == "finished" and job.progress == 1.0 and pending.progress() == 1.0
    assert PendingRun(EngineJob([sys.executable, "-c", "pass"]), finish=None).progress() == 0.0


def test_segment_run_gets_an_expected_time_from_the_manifest(tmp_path):
    from LiverCirrhosisLib.staging_logic import ENGINE_START_SECONDS, CirrhosisStagingLogic

    from CirrhosisStaging.models import find_model

    logic = CirrhosisStagingLogic(context=None, work_folder=tmp_path)
    for sequence in ("t1", "t2"):
        logic.device = "cpu"
        figures = find_model("segmentation", sequence=sequence).expected_seconds
        assert logic._expected_segmentation_seconds(True, sequence) == figures["cpu"] + ENGINE_START_SECONDS
        logic.device = "cuda"
        assert logic._expected_segmentation_seconds(False, sequence) == figures["gpu"] + ENGINE_START_SECONDS
