"""Finding model weights on disk (next to the manifest, then the user cache), checking them, downloading them.

Nothing is downloaded without explicit consent (`allow_download=True`, the CLI's --allow-download): weights
are large, their licence must be shown first, and a clinic machine may not be allowed to reach the internet.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import urllib.error
import urllib.request
from pathlib import Path
from typing import Callable

from ..errors import InputError
from .manifest import ModelEntry

CACHE_ENV = "CIRRHOSIS_STAGING_CACHE"
_CHUNK = 1 << 20
_CACHE_FOLDER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*-[A-Za-z0-9][A-Za-z0-9_.-]*$")


def sha256_of(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file, read in chunks so large weights never sit in memory twice."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for chunk in iter(lambda: stream.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify_sha256(path: str | os.PathLike, expected: str) -> None:
    """Refuse a weights file whose content is not the one the manifest describes."""
    actual = sha256_of(path)
    if actual != expected.lower():
        raise InputError(path, f"sha256 mismatch: expected {expected.lower()}, got {actual}; "
                               "the weights file is corrupt or was replaced")


def verify_weights(entry: ModelEntry, path: str | os.PathLike) -> None:
    """Size first (cheap, and names a truncated download plainly), then the SHA-256."""
    size = Path(path).stat().st_size
    if size != entry.size_bytes:
        raise InputError(path, f"weights file has {size} bytes, the manifest expects {entry.size_bytes}; "
                               "the file is truncated, corrupt or was replaced")
    verify_sha256(path, entry.sha256)


def models_cache_dir(cache_dir: str | os.PathLike | None = None) -> Path:
    """Folder holding `<name>-<version>/` weight folders.

    `cache_dir` itself if given; else $CIRRHOSIS_STAGING_CACHE/models; else ~/.cache/cirrhosis-staging/models
    (under $XDG_CACHE_HOME instead of ~/.cache when that is set).
    """
    if cache_dir is not None:
        return Path(cache_dir).expanduser()
    root = os.environ.get(CACHE_ENV)
    if root:
        return Path(root).expanduser() / "models"
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "cirrhosis-staging" / "models"


def cached_path(entry: ModelEntry, cache_dir: str | os.PathLike | None = None) -> Path:
    return models_cache_dir(cache_dir) / entry.key / Path(entry.file.replace("\\", "/")).name


def resolve_weights(entry: ModelEntry, allow_download: bool = False, cache_dir: str | os.PathLike | None = None,
                    progress: Callable[[int, int], None] | None = None) -> Path:
    """Path of the entry's weights: bundled next to the manifest, else cached, else downloaded (with consent)."""
    for candidate in (entry.bundled_path, cached_path(entry, cache_dir)):
        if candidate.is_file():
            return candidate
    target = cached_path(entry, cache_dir)
    if not entry.url:
        raise InputError(entry.bundled_path, f"model weights {entry.key} are missing and the manifest gives no "
                                             f"download address; copy the file here or to {target}")
    if not allow_download:
        size_mb = entry.size_bytes / 1e6
        raise InputError(entry.bundled_path, f"model weights {entry.key} are missing; run again with "
                                             f"--allow-download to fetch them ({size_mb:.0f} MB, licence: "
                                             f"{entry.licence}) from {entry.url} into {target.parent}")
    return download_weights(entry, target, progress)


def download_weights(entry: ModelEntry, target: Path, progress: Callable[[int, int], None] | None = None) -> Path:
    """Fetch entry.url to `target` via a .partial file, checking size and SHA-256 before the final rename."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f"{target.name}.{os.getpid()}.partial")  # two processes never share one
    digest, done = hashlib.sha256(), 0
    try:
        with urllib.request.urlopen(entry.url, timeout=60) as response, open(partial, "wb") as out:
            for chunk in iter(lambda: response.read(_CHUNK), b""):
                out.write(chunk)
                digest.update(chunk)
                done += len(chunk)
                if progress is not None:
                    progress(done, entry.size_bytes)
        if done != entry.size_bytes or digest.hexdigest() != entry.sha256:
            raise InputError(entry.url, f"downloaded weights do not match the manifest ({done} bytes, sha256 "
                                        f"{digest.hexdigest()}; expected {entry.size_bytes} bytes, sha256 "
                                        f"{entry.sha256}); nothing was kept")
        os.replace(partial, target)
    except (urllib.error.URLError, OSError) as error:
        raise InputError(entry.url, f"download of model weights {entry.key} failed: "
                                    f"{getattr(error, 'reason', error)}") from None
    finally:
        if partial.exists():
            partial.unlink()
    return target


def clear_cache(cache_dir: str | os.PathLike | None = None) -> int:
    """Delete cached `<name>-<version>/` weight folders; returns how many went.

    Only folders named like a model key and holding nothing but files are touched, so a cache_dir pointed
    by mistake at a folder of other work is very unlikely to lose anything else.
    """
    root = models_cache_dir(cache_dir)
    if not root.is_dir():
        return 0
    removed = 0
    for child in root.iterdir():
        if _is_cache_folder(child):
            shutil.rmtree(child)
            removed += 1
    return removed


def _is_cache_folder(path: Path) -> bool:
    if not path.is_dir() or path.is_symlink() or not _CACHE_FOLDER.match(path.name):
        return False
    return all(item.is_file() for item in path.iterdir())
