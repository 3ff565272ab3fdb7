"""Slicer segmentation export: the .seg.nrrd keeps the label grid exactly and says what each segment is."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk
from synthetic_volumes import OBLIQUE

from CirrhosisStaging.data.labels import LEFT_KIDNEY, LIVER, RIGHT_KIDNEY, SPLEEN
from CirrhosisStaging.errors import InputError
from CirrhosisStaging.export import STANDARD_SEGMENTS, read_seg_nrrd, terminology_context, write_seg_nrrd
from CirrhosisStaging.export import seg_nrrd
from CirrhosisStaging.io import Grid

REPO = Path(__file__).resolve().parents[2]


def make_labels(direction=OBLIQUE) -> sitk.Image:
    """A 12x10x8 uint8 label volume with liver, spleen and right kidney blocks on an oblique grid."""
    array = np.zeros((8, 10, 12), np.uint8)           # (z, y, x)
    array[1:5, 2:7, 1:6] = LIVER
    array[2:4, 3:5, 8:11] = SPLEEN
    array[6, 8, 9] = RIGHT_KIDNEY
    image = sitk.GetImageFromArray(array)
    image.SetSpacing((1.5, 2.0, 4.0))
    image.SetOrigin((12.5, -40.25, 101.0))
    image.SetDirection(direction)
    return image


def numpy_extent(array: np.ndarray, value: int) -> tuple[int, ...]:
    z, y, x = np.nonzero(array == value)
    return (x.min(), x.max(), y.min(), y.max(), z.min(), z.max())


def test_own_reader_round_trip_keeps_labels_grid_and_segments(tmp_path):
    labels = make_labels()
    path = write_seg_nrrd(labels, tmp_path / "case.seg.nrrd")
    back, segments = read_seg_nrrd(path)
    assert back.GetPixelID() == sitk.sitkUInt8
    assert Grid.of(back).matches(Grid.of(labels))
    assert np.allclose(back.GetDirection(), OBLIQUE, atol=1e-6)
    np.testing.assert_array_equal(sitk.GetArrayFromImage(back), sitk.GetArrayFromImage(labels))
    assert back.GetMetaDataKeys() == ()
    # Only the organs present, in label order; the absent left kidney is not declared.
    assert [(s["label_value"], s["id"], s["name"]) for s in segments] == [
        (LIVER, "liver", "Liver"), (RIGHT_KIDNEY, "right_kidney", "Right kidney"), (SPLEEN, "spleen", "Spleen")]
    array = sitk.GetArrayFromImage(labels)
    for segment in segments:
        assert segment["extent"] == numpy_extent(array, segment["label_value"])
        assert segment["layer"] == 0 and segment["status"] == "inprogress"
    liver = segments[0]
    assert liver["color"] == pytest.approx((221 / 255, 130 / 255, 101 / 255), abs=1e-6)
    assert "SCT^10200004^Liver" in liver["terminology"]
    assert "SCT^78961009^Spleen" in segments[2]["terminology"]
    assert "SCT^9846003^Right kidney" in segments[1]["terminology"]


def test_file_is_gzip_nrrd_with_slicer_fields(tmp_path):
    path = write_seg_nrrd(make_labels(), tmp_path / "case.seg.nrrd")
    header = path.read_bytes().split(b"\n\n", 1)[0].decode()
    assert "encoding: gzip" in header and "space: left-posterior-superior" in header
    assert "Segmentation_MasterRepresentation:=Binary labelmap" in header
    assert "Segmentation_ContainedRepresentationNames:=Binary labelmap|" in header
    assert "Segmentation_ReferenceImageExtentOffset:=0 0 0" in header
    assert ("Segment0_Tags:=Segmentation.Status:inprogress|TerminologyEntry:Segmentation category and type - "
            "3D Slicer General Anatomy list~SCT^123037004^Anatomical Structure~SCT^10200004^Liver~^^~"
            "Anatomic codes - DICOM master list~^^~^^|") in header


def test_slicerio_reads_the_file(tmp_path):
    slicerio = pytest.importorskip("slicerio")
    labels = make_labels()
    path = write_seg_nrrd(labels, tmp_path / "case.seg.nrrd")
    segmentation = slicerio.read_segmentation(str(path))

    # pynrrd gives voxels in (x, y, z) order; the physical mapping must be the label image's own.
    np.testing.assert_array_equal(segmentation["voxels"].transpose(2, 1, 0), sitk.GetArrayFromImage(labels))
    direction = np.array(labels.GetDirection()).reshape(3, 3)
    expected = np.eye(4)
    expected[:3, :3] = direction * np.array(labels.GetSpacing())
    expected[:3, 3] = labels.GetOrigin()
    np.testing.assert_allclose(segmentation["ijkToLPS"], expected, atol=1e-6)

    by_name = {s["name"]: s for s in segmentation["segments"]}
    assert by_name["Liver"]["terminology"]["type"] == ["SCT", "10200004", "Liver"]
    assert by_name["Liver"]["terminology"]["category"] == ["SCT", "123037004", "Anatomical Structure"]
    assert by_name["Spleen"]["terminology"]["type"] == ["SCT", "78961009", "Spleen"]
    assert by_name["Spleen"]["labelValue"] == SPLEEN
    assert by_name["Spleen"]["extent"] == list(numpy_extent(sitk.GetArrayFromImage(labels), SPLEEN))
    assert segmentation["masterRepresentation"] == "Binary labelmap"


def test_reference_geometry_parameter_is_ijk_to_ras(tmp_path):
    labels = make_labels()
    path = write_seg_nrrd(labels, tmp_path / "case.seg.nrrd", reference=labels)
    value = sitk.ReadImage(str(path)).GetMetaData("Segmentation_ConversionParameters").split("|")[1]
    numbers = [float(v) for v in value.strip(";").split(";")]
    matrix, extent = np.array(numbers[:16]).reshape(4, 4), numbers[16:]
    ras_origin = np.array(labels.GetOrigin()) * [-1, -1, 1]
    np.testing.assert_allclose(matrix[:3, 3], ras_origin)
    assert extent == [0, 11, 0, 9, 0, 7]


def test_explicit_segments_keep_only_their_labels_and_mark_empty_ones(tmp_path):
    segments = [STANDARD_SEGMENTS[LIVER], STANDARD_SEGMENTS[LEFT_KIDNEY]]
    path = write_seg_nrrd(make_labels(), tmp_path / "liver.seg.nrrd", segments=segments)
    back, read = read_seg_nrrd(path)
    assert set(np.unique(sitk.GetArrayFromImage(back))) == {0, LIVER}
    assert [s["id"] for s in read] == ["liver", "left_kidney"]
    assert read[1]["extent"] == (0, -1, 0, -1, 0, -1)


def test_input_metadata_is_not_copied(tmp_path):
    labels = make_labels()
    labels.SetMetaData("descrip", "scanner secrets")
    path = write_seg_nrrd(labels, tmp_path / "case.seg.nrrd")
    assert b"scanner secrets" not in path.read_bytes().split(b"\n\n", 1)[0]


def test_bad_inputs_are_refused(tmp_path):
    labels = make_labels()
    with pytest.raises(InputError, match=r"\.seg\.nrrd"):
        write_seg_nrrd(labels, tmp_path / "case.nrrd")
    unknown = sitk.Cast(labels, sitk.sitkUInt8)
    unknown[0, 0, 0] = 9
    with pytest.raises(ValueError, match="9"):
        write_seg_nrrd(unknown, tmp_path / "case.seg.nrrd")
    with pytest.raises(ValueError, match="integers"):
        write_seg_nrrd(sitk.Cast(labels, sitk.sitkFloat32), tmp_path / "case.seg.nrrd")
    shifted = Grid.of(labels)
    shifted = Grid(shifted.size, shifted.spacing, (0.0, 0.0, 0.0), shifted.direction)
    with pytest.raises(ValueError, match="origin"):
        write_seg_nrrd(labels, tmp_path / "case.seg.nrrd", reference=shifted)
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(InputError, match="no such file"):
        read_seg_nrrd(tmp_path / "missing.seg.nrrd")


def test_failing_write_leaves_nothing_and_keeps_previous_file(tmp_path, monkeypatch):
    target = tmp_path / "case.seg.nrrd"
    write_seg_nrrd(make_labels(), target)
    before = target.read_bytes()

    def broken_write(image, file_name, useCompression=False):
        Path(file_name).write_bytes(b"NRRD0004\nhalf a header")
        raise RuntimeError("disk full")

    monkeypatch.setattr(seg_nrrd.sitk, "WriteImage", broken_write)
    with pytest.raises(RuntimeError, match="disk full"):
        write_seg_nrrd(make_labels(), target)
    with pytest.raises(RuntimeError):
        write_seg_nrrd(make_labels(), tmp_path / "other.seg.nrrd")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["case.seg.nrrd"]
    assert target.read_bytes() == before


def test_shipped_terminology_file_matches_the_code():
    shipped = json.loads((REPO / "Resources" / "Terminology" / "CirrhosisStaging.term.json").read_text())
    assert shipped == terminology_context()
    codes = {t["CodeValue"] for c in shipped["SegmentationCodes"]["Category"] for t in c["Type"]}
    assert codes == {"10200004", "78961009", "9846003", "18639004"}
