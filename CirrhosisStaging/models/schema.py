"""Validation of one manifest entry: every field present, of the right type, with a sane value.

Plain Python rather than a JSON-schema library, so errors read as one line naming the entry and field.
Unknown fields are refused too: a typo such as "license" for "licence" would otherwise drop the licence
text silently from what users are shown.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

TASKS = ("segmentation", "staging")

REQUIRED_FIELDS = (
    "name", "version", "task", "architecture", "sequences", "spacing_mm", "labels", "file", "sha256",
    "size_bytes", "training_data", "licence", "validation", "expected_seconds", "demonstration_only", "notice",
)
OPTIONAL_FIELDS = ("url",)

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")  # used in cache folder names, so no slashes or spaces
_SEQUENCE = re.compile(r"^[a-z0-9_]+$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class EntryProblem(ValueError):
    """What is wrong with one entry; the manifest loader adds which file and which entry."""


def validate_entry(entry: dict) -> None:
    """Raise EntryProblem describing the first thing wrong with a manifest entry dict."""
    if not isinstance(entry, dict):
        raise EntryProblem(f"must be a JSON object, not {type(entry).__name__}")
    missing = [key for key in REQUIRED_FIELDS if key not in entry]
    if missing:
        raise EntryProblem(f"missing field(s): {', '.join(missing)}")
    unknown = sorted(set(entry) - set(REQUIRED_FIELDS) - set(OPTIONAL_FIELDS))
    if unknown:
        raise EntryProblem(f"unknown field(s): {', '.join(unknown)}")

    for key in ("name", "version"):
        if not isinstance(entry[key], str) or not _NAME.match(entry[key]):
            raise EntryProblem(f"'{key}' must be a non-empty string of letters, digits, '.', '_' or '-'")
    if entry["task"] not in TASKS:
        raise EntryProblem(f"'task' must be one of {', '.join(TASKS)} (got {entry['task']!r})")
    _check_architecture(entry["architecture"])
    _check_sequences(entry["sequences"])
    _check_spacing(entry["spacing_mm"])
    _check_labels(entry["labels"])
    _check_file(entry["file"])
    _check_url(entry.get("url"))
    if not isinstance(entry["sha256"], str) or not _SHA256.match(entry["sha256"]):
        raise EntryProblem("'sha256' must be 64 lowercase hexadecimal digits")
    if not _is_int(entry["size_bytes"]) or entry["size_bytes"] <= 0:
        raise EntryProblem("'size_bytes' must be a positive integer")
    for key in ("training_data", "licence", "notice"):
        if not isinstance(entry[key], str) or not entry[key].strip():
            raise EntryProblem(f"'{key}' must be a non-empty string")
    if not isinstance(entry["validation"], dict):
        raise EntryProblem("'validation' must be an object of figures")
    _check_expected_seconds(entry["expected_seconds"])
    if not isinstance(entry["demonstration_only"], bool):
        raise EntryProblem("'demonstration_only' must be true or false")


def _check_architecture(architecture) -> None:
    if not isinstance(architecture, dict) or not isinstance(architecture.get("class"), str) or not architecture["class"]:
        raise EntryProblem("'architecture' must be an object with a 'class' name and constructor arguments")
    if architecture["class"] == "Ensemble":   # members: networks, each with the model space it was trained in
        members = architecture.get("members")
        if not isinstance(members, list) or not members:
            raise EntryProblem("an 'Ensemble' architecture needs a non-empty 'members' list")
        for member in members:
            if not isinstance(member, dict) or member.get("class") in (None, "Ensemble"):
                raise EntryProblem("each ensemble member must be a network architecture with a 'class' (no nesting)")
            _check_architecture(member)
            _check_spacing(member.get("spacing_mm"))


def _check_sequences(sequences) -> None:
    if (not isinstance(sequences, list) or not sequences
            or not all(isinstance(s, str) and _SEQUENCE.match(s) for s in sequences)):
        raise EntryProblem("'sequences' must be a non-empty list of lowercase names such as [\"t1\", \"t2\"]")
    if len(set(sequences)) != len(sequences):
        raise EntryProblem("'sequences' lists a sequence twice")


def _check_spacing(spacing) -> None:
    if (not isinstance(spacing, list) or len(spacing) != 3
            or not all(_is_number(v) and v > 0 for v in spacing[:2]) or not _is_number(spacing[2]) or spacing[2] < 0):
        # z 0: the scan's own slices (2.5D networks)
        raise EntryProblem("'spacing_mm' must be three numbers [x, y, z] in mm: x and y positive, z positive or 0 "
                           "(the scan's own slices)")


def _check_labels(labels) -> None:
    if not isinstance(labels, dict) or not labels:
        raise EntryProblem("'labels' must be a non-empty object such as {\"1\": \"liver\"}")
    for key, value in labels.items():
        if not (isinstance(key, str) and key.isdigit()) or not isinstance(value, str) or not value:
            raise EntryProblem(f"'labels' entry {key!r}: keys must be label values as strings, values names")


def _check_file(file) -> None:
    if not isinstance(file, str) or not file:
        raise EntryProblem("'file' must be a path relative to the manifest folder")
    path = PurePosixPath(file.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or re.match(r"^[A-Za-z]:", file):
        raise EntryProblem(f"'file' must stay inside the manifest folder (got {file!r})")


def _check_url(url) -> None:
    if url is not None and (not isinstance(url, str) or not url.startswith(("https://", "http://"))):
        raise EntryProblem("'url' must be null or an http(s) address")


def _check_expected_seconds(expected) -> None:
    if not isinstance(expected, dict) or "cpu" not in expected or "gpu" not in expected:
        raise EntryProblem("'expected_seconds' must be an object with 'cpu' and 'gpu'")
    for key in ("cpu", "gpu"):
        value = expected[key]
        if value is not None and (not _is_number(value) or value < 0):
            raise EntryProblem(f"'expected_seconds.{key}' must be a non-negative number or null")


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
