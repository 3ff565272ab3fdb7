"""Segmentation ensembles: networks in different model spaces (3D, 2.5D), averaged on the input grid; combined
into one manifest entry and weights file by `combine-seg`. Tiny networks: the weights do not matter here."""

from __future__ import annotations

import json

import numpy as np
import pytest
import SimpleITK as sitk
import torch
from synthetic_volumes import OBLIQUE, make_volume, organ_mask

from CirrhosisStaging.io import Grid
from CirrhosisStaging.preprocessing import prepare
from CirrhosisStaging.segmentation.inference import NetworkMember, Segmenter, outputs_to_labels, probabilities_to_labels
from CirrhosisStaging.segmentation.metrics import dice
from CirrhosisStaging.segmentation.network import build_network

TINY_3D = {"class": "UNet", "spatial_dims": 3, "in_channels": 1, "out_channels": 5, "channels": [4, 8],
           "strides": [2], "num_res_units": 0}
TINY_2D = dict(TINY_3D, spatial_dims=2, in_channels=3)


def _perfect(image, truth, spacing, liver_share=1.0):
    """Probabilities that say 'liver' with `liver_share` where the truth is, in the model space of `spacing`."""
    space = prepare(image, spacing)
    liver = sitk.GetArrayFromImage(space.to_model(truth, "nearest")).astype(np.float32) * liver_share
    return np.stack([1 - liver, liver, *[np.zeros_like(liver)] * 3]), space.image


def test_members_in_different_model_spaces_are_averaged_on_the_input_grid():
    image = make_volume(direction=OBLIQUE)
    truth = organ_mask(image)
    expected = sitk.GetArrayFromImage(truth) == 1
    # Each alone is under one half nowhere-liver: 0.4 in one space, 0.8 in another; the mean (0.6) is liver.
    weak = _perfect(image, truth, (3.0, 3.0, 5.0), 0.4)
    strong = _perfect(image, truth, (2.0, 2.0, 0.0), 0.8)
    assert not (sitk.GetArrayFromImage(probabilities_to_labels(*weak, image, None)) == 1).any()
    labels = sitk.GetArrayFromImage(outputs_to_labels([weak, strong], image, None))
    assert dice(labels == 1, expected) > 0.9
    # A member that sees nothing halves the other's probability.
    empty = (np.stack([np.ones_like(strong[0][0]), *[np.zeros_like(strong[0][0])] * 4]), strong[1])
    assert not (sitk.GetArrayFromImage(outputs_to_labels([weak, empty], image, None)) == 1).any()


def test_an_ensemble_of_one_output_twice_gives_the_single_networks_labels():
    image = make_volume(direction=OBLIQUE)
    output = _perfect(image, organ_mask(image), (3.0, 3.0, 5.0), 0.7)
    single = sitk.GetArrayFromImage(probabilities_to_labels(*output, image))
    assert np.array_equal(sitk.GetArrayFromImage(outputs_to_labels([output, output], image)), single)


def test_an_ensemble_segmenter_runs_every_member_and_writes_on_the_input_grid():
    torch.manual_seed(0)
    members = [NetworkMember(build_network(TINY_3D), (4.0, 4.0, 6.0)),
               NetworkMember(build_network(TINY_2D), (3.0, 3.0, 0.0), context=1)]
    segmenter = Segmenter.ensemble(members, "cpu")
    image = make_volume(direction=OBLIQUE, origin=(5.0, -3.0, 40.0))
    outputs = segmenter.model_outputs(image)
    assert [o[1].GetSpacing()[:2] for o in outputs] == [(4.0, 4.0), (3.0, 3.0)]
    result = segmenter.segment(image)
    assert Grid.of(result.labels) == Grid.of(image) and set(result.stage_seconds) == {"prepare", "network", "to_input_grid"}
    assert np.array_equal(sitk.GetArrayFromImage(result.labels),
                          sitk.GetArrayFromImage(outputs_to_labels(outputs, image)))
    assert segmenter.spacing_xyz == (4.0, 4.0, 6.0) and segmenter.context is None   # the first member's


def _publish_member(manifest, name, architecture, spacing, labels=None, held_out=None):
    from CirrhosisStaging.models import sha256_of, write_manifest_entry

    weights = manifest.parent / f"{name}-1.0.0.pt"
    torch.save(build_network(architecture).state_dict(), weights)
    write_manifest_entry(manifest, {
        "name": name, "version": "1.0.0", "task": "segmentation", "architecture": architecture,
        "sequences": ["t1", "t2"], "spacing_mm": spacing,
        "labels": labels or {"1": "liver", "2": "right kidney", "3": "left kidney", "4": "spleen"},
        "file": weights.name, "url": None, "sha256": sha256_of(weights), "size_bytes": weights.stat().st_size,
        "training_data": f"{name} data", "licence": "CC BY-NC-SA 4.0",
        "validation": {"liver": 0.9, "held_out_subjects": held_out or ["19", "37"]},
        "expected_seconds": {"cpu": 1.0, "gpu": 0.2}, "demonstration_only": False, "notice": "Research use only."})


@pytest.fixture
def members_manifest(tmp_path, monkeypatch):
    from CirrhosisStaging.models import MANIFEST_ENV

    manifest = tmp_path / "models" / "manifest.json"
    manifest.parent.mkdir()
    _publish_member(manifest, "volume-net", TINY_3D, [4.0, 4.0, 6.0])
    _publish_member(manifest, "slice-net", TINY_2D, [3.0, 3.0, 0.0], held_out=["19", "39"])
    monkeypatch.setenv(MANIFEST_ENV, str(manifest))
    return manifest


def test_combine_seg_ships_one_checked_file_that_loads_as_the_same_networks(members_manifest, capsys):
    from CirrhosisStaging.cli.main import main
    from CirrhosisStaging.models import find_model
    from CirrhosisStaging.segmentation.loading import load_segmenter

    assert main(["combine-seg", "volume-net", "slice-net-1.0.0", "--publish", "both-nets:2.0.0"]) == 0
    assert "both-nets-2.0.0.pt" in capsys.readouterr().out
    entry = find_model("segmentation", "both-nets")
    assert [m["spacing_mm"] for m in entry.architecture["members"]] == [[4.0, 4.0, 6.0], [3.0, 3.0, 0.0]]
    assert entry.training_data.startswith("ensemble") and "slice-net data" in entry.training_data
    assert entry.validation["held_out_subjects"] == ["19"]   # the benchmark's subjects: no member trained on them
    assert entry.expected_seconds == {"cpu": 2.0, "gpu": 0.4} and set(entry.validation["members"]) == {
        "volume-net-1.0.0", "slice-net-1.0.0"}
    segmenter = load_segmenter("cpu")   # the newest version: the ensemble
    assert segmenter.model_name == "both-nets-2.0.0" and [m.context for m in segmenter.members] == [None, 1]
    for member, name in zip(segmenter.members, ("volume-net", "slice-net")):
        alone = load_segmenter("cpu", name).network.state_dict()
        assert all(torch.equal(alone[key], value) for key, value in member.network.state_dict().items())
    image = make_volume(seed=4)
    assert Grid.of(segmenter.segment(image).labels) == Grid.of(image)


def test_a_changed_ensemble_file_is_refused(members_manifest):
    from CirrhosisStaging.errors import InputError
    from CirrhosisStaging.segmentation.loading import load_segmenter
    from CirrhosisStaging.segmentation.training.publish import publish_ensemble

    weights = publish_ensemble(["volume-net", "slice-net"], "both-nets", "2.0.0", members_manifest)
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(InputError, match="sha256|size"):
        load_segmenter("cpu", "both-nets")


@pytest.mark.parametrize("members, problem", [
    (["volume-net"], "at least two"),
    (["volume-net", "other-labels"], "other labels"),
    (["volume-net", "both-nets"], "itself an ensemble"),
    (["volume-net", "missing-net"], "no segmentation model"),
])
def test_combine_seg_refuses_what_cannot_be_averaged_in_one_line(members_manifest, capsys, members, problem):
    from CirrhosisStaging.cli.main import main
    from CirrhosisStaging.segmentation.training.publish import publish_ensemble

    _publish_member(members_manifest, "other-labels", TINY_3D, [4.0, 4.0, 6.0], {"1": "liver"})
    publish_ensemble(["volume-net", "slice-net"], "both-nets", "2.0.0", members_manifest)
    before = members_manifest.read_text()
    assert main(["combine-seg", *members, "--publish", "bad:1.0.0"]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("error: ") and problem in error and "\n" not in error
    assert members_manifest.read_text() == before and not (members_manifest.parent / "bad-1.0.0.pt").exists()


@pytest.mark.parametrize("architecture, problem", [
    ({"class": "Ensemble", "members": []}, "non-empty 'members'"),
    ({"class": "Ensemble", "members": [dict(TINY_3D)]}, "'spacing_mm'"),
    ({"class": "Ensemble", "members": [{"class": "Ensemble", "members": []}]}, "no nesting"),
])
def test_manifest_refuses_a_malformed_ensemble(tmp_path, architecture, problem):
    from CirrhosisStaging.models.schema import EntryProblem, _check_architecture

    with pytest.raises(EntryProblem, match=problem):
        _check_architecture(json.loads(json.dumps(architecture)))
