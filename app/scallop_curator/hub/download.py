"""Download scallopmemory-1 into the standard Hugging Face cache, so other tools share the file.

Why not ``hf_hub_download``: in huggingface_hub 2.x it downloads into a process-unique temporary
file that is deleted on any failure (no resume across an interruption or a cancel), it checks only
the size (never the SHA-256), and it moves the file into the cache before we could check it. So
the transfer is done here, with huggingface_hub's own pieces for everything else:

* ``get_hf_file_metadata`` (a HEAD on ``{endpoint}/{repo}/resolve/{revision}/{file}``) gives the
  commit, the size and the ETag, which for an LFS/Xet file *is* its SHA-256 (``X-Linked-Etag``);
  the ``paths-info`` API is asked when the ETag is not a SHA-256.
* The bytes go to ``blobs/<sha256>.incomplete`` in the cache folder of the repo (the layout
  ``hf_hub_download`` uses); a later run sends ``Range: bytes=<kept>-`` and carries on.
* Only once the whole file's SHA-256 matches is it renamed to ``blobs/<sha256>`` and linked from
  ``snapshots/<commit>/<file>`` and ``refs/<revision>``: before that, ``try_to_load_from_cache``
  (and so :func:`cached_model`) cannot find it. A mismatching file is deleted.

``HF_ENDPOINT``, ``HF_HOME``/``HF_HUB_CACHE`` and ``HF_HUB_OFFLINE`` are read at call time
(huggingface_hub reads them once, at import).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from scallop_curator import paths
from scallop_curator.extraction.models_on_disk import HUB_FILE, HUB_REPO

DEFAULT_ENDPOINT = "https://huggingface.co"
_SHA256 = re.compile(r"[0-9a-f]{64}")
_TRUE = {"1", "ON", "YES", "TRUE"}
_REPORT_EVERY_S = 0.1


class DownloadProblem(Exception):
    """An expected failure, with a message meant for the user."""


class DownloadCancelled(DownloadProblem):
    """The cancel event was set. Nothing was offered as ready."""


@dataclass(frozen=True)
class DownloadProgress:
    done: int  # bytes on disk so far (kept bytes included)
    total: int
    speed: float  # bytes per second over the last few seconds; 0 while unknown
    eta: float | None  # seconds left, None while unknown
    phase: str  # "checking" (hashing bytes kept from an earlier try) or "downloading"

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 0.0

    def describe(self) -> str:
        if self.phase == "checking":
            return f"Checking the {format_size(self.total)} kept from the last try: {self.fraction:.0%}"
        parts = [f"{format_size(self.done)} of {format_size(self.total)}"]
        if self.speed > 0:
            parts.append(f"{format_size(self.speed)}/s")
        if self.eta is not None:
            parts.append(f"about {format_duration(self.eta)} left")
        return ", ".join(parts)


@dataclass(frozen=True)
class DownloadResult:
    path: Path  # the snapshot path in the Hugging Face cache, ready to load
    downloaded: bool  # False: it was already in the cache
    message: str  # plain words for the user


ProgressCallback = Callable[[DownloadProgress], None]


# -- environment, read at call time -------------------------------------------------------------


def _env_true(name: str) -> bool:
    return (os.environ.get(name) or "").strip().upper() in _TRUE


def is_offline() -> bool:
    return _env_true("HF_HUB_OFFLINE") or _env_true("TRANSFORMERS_OFFLINE")


def hub_endpoint() -> str:
    return (os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/")


def hub_cache_dir() -> Path:
    """The cache huggingface_hub would use if it were imported now (same variables, same order)."""
    explicit = os.environ.get("HF_HUB_CACHE") or os.environ.get("HUGGINGFACE_HUB_CACHE")
    if explicit:
        return Path(os.path.expandvars(os.path.expanduser(explicit)))
    xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    home = os.environ.get("HF_HOME") or os.path.join(xdg, "huggingface")
    return Path(os.path.expandvars(os.path.expanduser(home))) / "hub"


def _storage_folder(cache_dir: Path, repo_id: str) -> Path:
    return cache_dir / ("models--" + repo_id.replace("/", "--"))


def cached_model(
    repo_id: str = HUB_REPO, filename: str = HUB_FILE, revision: str = "main", cache_dir: Path | None = None
) -> Path | None:
    """The complete, checked file in the Hugging Face cache, or None."""
    from huggingface_hub import try_to_load_from_cache

    found = try_to_load_from_cache(repo_id, filename, cache_dir=str(cache_dir or hub_cache_dir()), revision=revision)
    return Path(found) if isinstance(found, str) and os.path.isfile(found) else None


def partial_download(repo_id: str = HUB_REPO, cache_dir: Path | None = None) -> tuple[Path, int] | None:
    """A kept ``.incomplete`` file of an earlier try (path, bytes), if any: a download resumes from it."""
    blobs = _storage_folder(cache_dir or hub_cache_dir(), repo_id) / "blobs"
    found = sorted(blobs.glob("*.incomplete")) if blobs.is_dir() else []
    for path in found:
        if _SHA256.fullmatch(path.name.removesuffix(".incomplete")):
            return path, path.stat().st_size
    return None


# -- the download --------------------------------------------------------------------------------


def download_model(
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    *,
    repo_id: str = HUB_REPO,
    filename: str = HUB_FILE,
    revision: str = "main",
    cache_dir: Path | None = None,
    endpoint: str | None = None,
    token: str | bool | None = None,
    keep_partial: bool = True,
    max_retries: int = 5,
    retry_delay: float = 1.0,
) -> DownloadResult:
    """Make sure the model is in the cache, checked, and return where it is.

    ``progress`` is called from this thread at most ten times a second. ``cancel`` is checked
    between chunks and while waiting to retry; on cancel, :class:`DownloadCancelled` is raised and
    the bytes so far stay in ``blobs/<sha>.incomplete`` for the next try (``keep_partial=False``
    deletes them). Network loss in the middle is retried ``max_retries`` times in a row without
    progress, each retry asking for the rest with a Range request.
    """
    cache = Path(cache_dir) if cache_dir else hub_cache_dir()
    endpoint = (endpoint or hub_endpoint()).rstrip("/")
    cancel = cancel or threading.Event()

    if is_offline():
        return _use_cache(repo_id, filename, revision, cache, "No network (HF_HUB_OFFLINE is set)")

    meta = _fetch_metadata(repo_id, filename, revision, endpoint, token, cache)
    if isinstance(meta, DownloadResult):  # no network, the cache answered
        return meta
    commit, etag, size, location = meta
    sha256 = etag if _SHA256.fullmatch(etag) else _sha256_from_paths_info(repo_id, filename, commit, endpoint, token)
    if sha256 is None:
        raise DownloadProblem(
            f"The Hub publishes no SHA-256 for {filename}, so a download could not be checked. Not downloaded."
        )

    storage = _storage_folder(cache, repo_id)
    target = _Target(
        storage=storage,
        lock=cache / ".locks" / storage.name / f"{etag}.lock",
        blob=storage / "blobs" / etag,
        pointer=storage / "snapshots" / commit / Path(*filename.split("/")),
        size=size,
        sha256=sha256,
    )
    try:
        if target.pointer.is_file():
            _write_ref(storage, revision, commit)
            return DownloadResult(target.pointer, False, "Already downloaded")
        if target.blob.is_file() and target.blob.stat().st_size == size:
            _link(target.blob, target.pointer)
            _write_ref(storage, revision, commit)
            return DownloadResult(target.pointer, False, "Already downloaded")
        transfer = _Transfer(
            target.blob.with_name(etag + ".incomplete"), size, sha256, progress, cancel, max_retries, retry_delay,
            lambda: _fetch_location(repo_id, filename, commit, endpoint, token) or location, token, endpoint,
        )
        _download_locked(target, transfer, location, keep_partial)
        _write_ref(storage, revision, commit)
    except OSError as error:
        raise DownloadProblem(f"Cannot write the model into {cache}: {error.strerror or error}.") from None
    return DownloadResult(target.pointer, True, f"Downloaded and checked {filename} ({format_size(size)})")


@dataclass(frozen=True)
class _Target:
    storage: Path
    lock: Path
    blob: Path
    pointer: Path
    size: int
    sha256: str


def _download_locked(target: _Target, transfer: _Transfer, location: str, keep_partial: bool) -> None:
    from filelock import FileLock, Timeout

    paths.private_dir(target.lock.parent)  # owner-only, as everything the app writes
    paths.private_dir(target.blob.parent)
    lock = FileLock(str(target.lock), timeout=0.5, mode=paths.PRIVATE_FILE_MODE)
    try:
        lock.acquire()
    except Timeout:
        raise DownloadProblem("Another download of this model is already running.") from None
    try:
        if target.blob.is_file():  # finished by someone else while we waited
            _link(target.blob, target.pointer)
            return
        _check_disk_space(transfer.path, target.size)
        try:
            transfer.run(location)
        except DownloadCancelled:
            if not keep_partial:
                transfer.path.unlink(missing_ok=True)
            raise
        os.replace(transfer.path, target.blob)
        _link(target.blob, target.pointer)
    finally:
        lock.release()


def _use_cache(repo_id: str, filename: str, revision: str, cache: Path, why: str) -> DownloadResult:
    found = cached_model(repo_id, filename, revision, cache)
    if found is None:
        raise DownloadProblem(f"{why} and no cached model.")
    return DownloadResult(found, False, f"{why}: using the cached model")


def _fetch_metadata(repo_id, filename, revision, endpoint, token, cache):
    import httpx2
    from huggingface_hub import get_hf_file_metadata, hf_hub_url
    from huggingface_hub.errors import (
        GatedRepoError,
        HfHubHTTPError,
        OfflineModeIsEnabled,
        RemoteEntryNotFoundError,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    url = hf_hub_url(repo_id, filename, revision=revision, endpoint=endpoint)
    try:
        meta = get_hf_file_metadata(url, token=token, endpoint=endpoint, timeout=15)
    except OfflineModeIsEnabled:
        return _use_cache(repo_id, filename, revision, cache, "No network (HF_HUB_OFFLINE is set)")
    except GatedRepoError:
        raise DownloadProblem(f"{repo_id} is gated: accept its terms on the Hub and log in (hf auth login).") from None
    except RepositoryNotFoundError:
        raise DownloadProblem(f"The Hub has no repository {repo_id} (or it is private and you are not logged in).") from None
    except RevisionNotFoundError:
        raise DownloadProblem(f"{repo_id} has no revision {revision!r}.") from None
    except RemoteEntryNotFoundError:
        raise DownloadProblem(f"{repo_id} has no file {filename} at {revision!r}.") from None
    except HfHubHTTPError as error:
        status = error.response.status_code if error.response is not None else "?"
        if isinstance(status, int) and status >= 500:
            return _use_cache(repo_id, filename, revision, cache, f"The Hub is not answering (HTTP {status})")
        raise DownloadProblem(f"The Hub refused the request (HTTP {status}) for {url}.") from None
    except (httpx2.RequestError, OSError):
        return _use_cache(repo_id, filename, revision, cache, "No network")
    if not meta.commit_hash or not meta.etag:
        raise DownloadProblem(
            f"{endpoint} did not answer like a Hugging Face Hub (no commit or ETag): check HF_ENDPOINT."
        )
    if not meta.size:
        raise DownloadProblem(f"{endpoint} did not say how big {filename} is, so a download could not be checked.")
    return meta.commit_hash, meta.etag, meta.size, meta.location


def _fetch_location(repo_id, filename, commit, endpoint, token) -> str | None:
    """A fresh download URL (signed CDN URLs expire): None when it cannot be had right now."""
    from huggingface_hub import get_hf_file_metadata, hf_hub_url

    try:
        return get_hf_file_metadata(
            hf_hub_url(repo_id, filename, revision=commit, endpoint=endpoint), token=token, endpoint=endpoint, timeout=15
        ).location
    except Exception:  # noqa: BLE001 - the retry loop reports the transfer's own error
        return None


def _sha256_from_paths_info(repo_id, filename, commit, endpoint, token) -> str | None:
    try:
        from huggingface_hub import HfApi

        for entry in HfApi(endpoint=endpoint, token=token).get_paths_info(repo_id, [filename], revision=commit):
            lfs = getattr(entry, "lfs", None)
            sha = getattr(lfs, "sha256", None)
            if sha and _SHA256.fullmatch(sha):
                return sha
    except Exception:  # noqa: BLE001 - no hash is reported as such by the caller
        return None
    return None


def _origin(url: str) -> tuple[str, str, int | None]:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return parts.scheme, (parts.hostname or "").lower(), parts.port or {"http": 80, "https": 443}.get(parts.scheme)


def _check_disk_space(incomplete: Path, size: int) -> None:
    kept = incomplete.stat().st_size if incomplete.exists() else 0
    needed = size - kept
    free = shutil.disk_usage(incomplete.parent).free
    if needed > free:
        raise DownloadProblem(
            f"Not enough disk space in {incomplete.parent}: the download needs {format_size(needed)} more, "
            f"{format_size(free)} free."
        )


def _link(blob: Path, pointer: Path) -> None:
    paths.private_dir(pointer.parent)
    if pointer.exists() or pointer.is_symlink():
        pointer.unlink()
    try:
        os.symlink(os.path.relpath(blob, pointer.parent), pointer)
    except OSError:
        # No symlinks (Windows without developer mode): huggingface_hub then keeps the file itself there.
        os.replace(blob, pointer)


def _write_ref(storage: Path, revision: str, commit: str) -> None:
    if revision == commit:
        return
    ref = storage / "refs" / revision
    try:
        paths.private_dir(ref.parent)
        if not ref.exists() or ref.read_text().strip() != commit:
            with paths.open_private(ref, "w") as handle:
                handle.write(commit)
    except OSError:
        pass  # best effort, as huggingface_hub does: the snapshot path is what matters


class _Rate:
    """Bytes per second over the last few seconds."""

    def __init__(self, window: float = 5.0) -> None:
        self.window = window
        self.samples: deque[tuple[float, int]] = deque()

    def add(self, now: float, done: int) -> float:
        self.samples.append((now, done))
        while len(self.samples) > 2 and now - self.samples[0][0] > self.window:
            self.samples.popleft()
        t0, d0 = self.samples[0]
        return (done - d0) / (now - t0) if now > t0 else 0.0


class _Transfer:
    def __init__(self, path, size, sha256, progress, cancel, max_retries, retry_delay, refresh_location, token, endpoint):
        self.path: Path = path
        self.size: int = size
        self.sha256: str = sha256
        self.progress = progress
        self.cancel: threading.Event = cancel
        self.max_retries = max_retries
        self.retry_delay = retry_delay
        self.refresh_location = refresh_location
        self.token = token
        self.endpoint = endpoint
        self.done = 0
        self.hasher = hashlib.sha256()
        self.rate = _Rate()
        self.last_report = float("-inf")

    # progress ---------------------------------------------------------------------------------
    def _report(self, phase: str, done: int, force: bool = False) -> None:
        if self.progress is None:
            return
        now = time.monotonic()
        if not force and now - self.last_report < _REPORT_EVERY_S:
            return
        self.last_report = now
        speed = self.rate.add(now, done) if phase == "downloading" else 0.0
        eta = (self.size - done) / speed if speed > 0 else None
        self.progress(DownloadProgress(done, self.size, speed, eta, phase))

    def _check_cancel(self) -> None:
        if self.cancel.is_set():
            kept = f"; {format_size(self.done)} kept to resume next time" if self.done else ""
            raise DownloadCancelled(f"Download cancelled{kept}.")

    # the work -----------------------------------------------------------------------------------
    def run(self, location: str) -> None:
        self._hash_kept()
        # Created 0600 (the partial download, then the model once renamed); an existing one is reused.
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_BINARY", 0), paths.PRIVATE_FILE_MODE)
        with os.fdopen(fd, "r+b") as out:
            out.seek(self.done)
            out.truncate()
            self._download(out, location)
            out.flush()
            os.fsync(out.fileno())
        if self.hasher.hexdigest() != self.sha256:
            self.path.unlink(missing_ok=True)
            raise DownloadProblem(
                "The downloaded file is damaged: its SHA-256 does not match the one the Hub publishes. "
                "It was deleted; try again."
            )

    def _hash_kept(self) -> None:
        if not self.path.exists():
            return
        kept = self.path.stat().st_size
        if kept > self.size:
            self.path.unlink()
            return
        with open(self.path, "rb") as kept_file:
            while chunk := kept_file.read(8 << 20):
                self._check_cancel()
                self.hasher.update(chunk)
                self.done += len(chunk)
                self._report("checking", self.done)

    def _download(self, out, location: str) -> None:
        import httpx2
        from huggingface_hub.errors import HfHubHTTPError
        from huggingface_hub.utils import build_hf_headers, get_session, hf_raise_for_status

        failures = 0
        refreshed_for_refusal = False
        last_error: Exception | None = None
        while self.done < self.size:
            self._check_cancel()
            before = self.done
            headers = build_hf_headers(token=self.token)
            if _origin(location) != _origin(self.endpoint):
                headers.pop("authorization", None)  # a signed CDN URL: the Hub token stays with the Hub
            headers["Accept-Encoding"] = "identity"
            if self.done:
                headers["Range"] = f"bytes={self.done}-"
            try:
                with get_session().stream(
                    "GET", location, headers=headers, follow_redirects=True,
                    timeout=httpx2.Timeout(60.0, connect=15.0),
                ) as response:
                    hf_raise_for_status(response)
                    self._take(response, out)
                if self.done < self.size:  # the server ended the body early without an error
                    raise httpx2.RemoteProtocolError("the server ended the transfer early")
            except HfHubHTTPError as error:
                status = error.response.status_code if error.response is not None else None
                if status in (401, 403, 404, 410) and not refreshed_for_refusal:
                    refreshed_for_refusal = True  # a signed download URL may have expired
                    location = self.refresh_location()
                    continue
                if status is not None and (status >= 500 or status in (408, 429)):
                    last_error = error
                else:
                    raise DownloadProblem(f"The server refused the download (HTTP {status}).") from None
            except httpx2.RequestError as error:  # connection lost, timed out, too many redirects
                last_error = error
            if self.done < self.size:
                failures = 0 if self.done > before else failures + 1
                if failures > self.max_retries:
                    kept = f" {format_size(self.done)} kept: run the download again to resume." if self.done else ""
                    raise DownloadProblem(f"The network connection was lost ({last_error}).{kept}")
                if self.cancel.wait(min(self.retry_delay * 2 ** max(failures - 1, 0), 30.0)):
                    self._check_cancel()
                if failures > 1:
                    location = self.refresh_location()

    def _take(self, response, out) -> None:
        if self.done and response.status_code == 200:
            # The server ignored the Range header: start again from the first byte.
            out.seek(0)
            out.truncate()
            self.hasher = hashlib.sha256()
            self.done = 0
        elif response.status_code == 206:
            match = re.match(r"bytes (\d+)-", response.headers.get("Content-Range", ""))
            if not match or int(match.group(1)) != self.done:
                raise DownloadProblem("The server sent the wrong part of the file when resuming.")
        for chunk in response.iter_bytes():
            self._check_cancel()
            if not chunk:
                continue
            if self.done + len(chunk) > self.size:
                raise DownloadProblem("The server sent more bytes than the file has.")
            out.write(chunk)
            self.hasher.update(chunk)
            self.done += len(chunk)
            self._report("downloading", self.done, force=self.done == self.size)


# -- plain words ---------------------------------------------------------------------------------


def format_size(n: float) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            return f"{n / scale:.{2 if unit == 'GB' else 1}f} {unit}"
    return f"{int(n)} bytes"


def format_duration(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{round(seconds / 60)} min"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"
