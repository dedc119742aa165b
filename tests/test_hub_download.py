"""The model download against a real HTTP server on 127.0.0.1 that answers as the Hub does.

The "hub" server answers HEAD/GET on ``/{repo}/resolve/{revision}/{file}`` with a 302 to a second
server (another origin, like the Hub's CDN) plus the Hub's headers (X-Repo-Commit, X-Linked-Etag =
the SHA-256, X-Linked-Size). The "cdn" server serves the bytes with Range support, and can drop the
connection part-way or serve damaged bytes.
"""

from __future__ import annotations

import argparse
import hashlib
import socket
import tempfile
import threading
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from scallop_curator.hub.download import (
    DownloadCancelled,
    DownloadProblem,
    cached_model,
    download_model,
    partial_download,
)

REPO = "tashfene/scallopmemory-1"
FILE = "scallopmemory-1.q5_k_m.gguf"
COMMIT = "0123456789abcdef0123456789abcdef01234567"


def _small_gguf() -> bytes:
    """A ~1 MB llama-architecture GGUF, so ``model download`` can read the header it fetched."""
    import gguf
    import numpy as np

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "m.gguf"
        writer = gguf.GGUFWriter(str(path), "llama")
        writer.add_context_length(2048)
        writer.add_tensor("token_embd.weight", np.random.default_rng(0).random((1024, 256), dtype=np.float32))
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
        writer.close()
        return path.read_bytes()


CONTENT = _small_gguf()
SHA = hashlib.sha256(CONTENT).hexdigest()


class FakeHub:
    def __init__(self) -> None:
        self.requests: list[tuple[str, str, str, Message]] = []  # (server, method, path, headers)
        self.drop_after: int | None = None  # first CDN GET closes the socket after this many bytes
        self.serve_damaged = False
        self.delay = 0.0  # seconds between 16 kB pieces
        hub = self

        class Handler(BaseHTTPRequestHandler):
            server_version = "FakeHub/1"

            def log_message(self, *args) -> None:  # quiet
                pass

            def do_HEAD(self) -> None:
                self._answer(head=True)

            def do_GET(self) -> None:
                self._answer(head=False)

            def _answer(self, head: bool) -> None:
                which = "hub" if self.server is hub.hub_server else "cdn"
                hub.requests.append((which, self.command, self.path, self.headers))  # case-insensitive
                if which == "hub":
                    hub._resolve(self)
                else:
                    hub._blob(self, head)

        self.hub_server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.cdn_server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.threads = [
            threading.Thread(target=s.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True) for s in (self.hub_server, self.cdn_server)
        ]
        for thread in self.threads:
            thread.start()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.hub_server.server_address[1]}"

    def close(self) -> None:
        for server in (self.hub_server, self.cdn_server):
            server.shutdown()
            server.server_close()

    def cdn_gets(self) -> list[Message]:
        return [headers for which, method, _, headers in self.requests if which == "cdn" and method == "GET"]

    def _resolve(self, h: BaseHTTPRequestHandler) -> None:
        expected = f"/{REPO}/resolve/"
        if not h.path.startswith(expected) or not h.path.endswith("/" + FILE):
            h.send_response(404)
            h.send_header("X-Error-Code", "EntryNotFound")
            h.send_header("Content-Length", "0")
            h.end_headers()
            return
        cdn = f"http://127.0.0.1:{self.cdn_server.server_address[1]}/blobs/{SHA}?signature=x"
        h.send_response(302)
        h.send_header("Location", cdn)
        h.send_header("X-Repo-Commit", COMMIT)
        h.send_header("X-Linked-Etag", f'"{SHA}"')
        h.send_header("ETag", '"0a1b2c3d"')  # the git pointer's etag, as the Hub sends
        h.send_header("X-Linked-Size", str(len(CONTENT)))
        h.send_header("Content-Length", "0")
        h.end_headers()

    def _blob(self, h: BaseHTTPRequestHandler, head: bool) -> None:
        body = CONTENT
        if self.serve_damaged:
            body = bytearray(CONTENT)
            body[1000] ^= 0xFF
            body = bytes(body)
        start = 0
        rng = h.headers.get("Range")
        if rng:
            start = int(rng.removeprefix("bytes=").split("-")[0])
            h.send_response(206)
            h.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        else:
            h.send_response(200)
        part = body[start:]
        h.send_header("Content-Length", str(len(part)))
        h.send_header("Accept-Ranges", "bytes")
        h.end_headers()
        if head:
            return
        limit = len(part)
        if self.drop_after is not None:
            limit, self.drop_after = min(self.drop_after, limit), None
        sent = 0
        try:
            while sent < limit:
                piece = part[sent : min(sent + 16384, limit)]
                h.wfile.write(piece)
                h.wfile.flush()
                sent += len(piece)
                if self.delay:
                    threading.Event().wait(self.delay)
        except (BrokenPipeError, ConnectionResetError):
            return
        if limit < len(part):
            h.wfile.flush()
            h.connection.shutdown(socket.SHUT_RDWR)
            h.close_connection = True


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    server = FakeHub()
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("HF_ENDPOINT", server.endpoint)
    for name in ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        monkeypatch.delenv(name, raising=False)
    yield server
    server.close()


def cache_dir(tmp_path: Path) -> Path:
    return tmp_path / "hf" / "hub"


def nothing_ready(tmp_path: Path) -> None:
    from huggingface_hub import try_to_load_from_cache

    assert cached_model() is None
    assert not isinstance(try_to_load_from_cache(REPO, FILE, cache_dir=str(cache_dir(tmp_path))), str)
    blobs = cache_dir(tmp_path) / f"models--{REPO.replace('/', '--')}" / "blobs"
    if blobs.exists():
        assert all(p.name.endswith(".incomplete") for p in blobs.iterdir())


def test_download_lands_in_the_hub_cache_checked(hub: FakeHub, tmp_path: Path) -> None:
    seen = []
    result = download_model(progress=seen.append, token="hf_not_a_real_token")

    storage = cache_dir(tmp_path) / "models--tashfene--scallopmemory-1"
    assert result.downloaded
    assert result.path == storage / "snapshots" / COMMIT / FILE
    assert result.path.read_bytes() == CONTENT
    assert (storage / "blobs" / SHA).is_file()
    assert (storage / "refs" / "main").read_text() == COMMIT
    assert cached_model() == result.path
    assert seen and seen[-1].done == seen[-1].total == len(CONTENT)
    assert "MB" in seen[-1].describe()
    # huggingface_hub itself finds it (shared cache), without touching the network
    from huggingface_hub import try_to_load_from_cache

    assert try_to_load_from_cache(REPO, FILE, cache_dir=str(cache_dir(tmp_path))) == str(result.path)

    # the token went to the Hub, not to the CDN host the Hub redirected to
    heads = [h for w, m, _, h in hub.requests if w == "hub" and m == "HEAD"]
    assert [h.get("Authorization") for h in heads] == ["Bearer hf_not_a_real_token"]
    assert "Authorization" not in hub.cdn_gets()[0]

    again = download_model(token=False)
    assert not again.downloaded and again.path == result.path
    assert len(hub.cdn_gets()) == 1


def test_dropped_connection_resumes_with_range(hub: FakeHub, tmp_path: Path) -> None:
    hub.drop_after = 300_000
    result = download_model(token=False, retry_delay=0.01)

    assert result.path.read_bytes() == CONTENT
    gets = hub.cdn_gets()
    assert len(gets) == 2
    assert "Range" not in gets[0]
    assert gets[1]["Range"] == "bytes=300000-"  # everything received before the drop was kept


def test_damaged_file_is_refused_and_deleted(hub: FakeHub, tmp_path: Path) -> None:
    hub.serve_damaged = True
    with pytest.raises(DownloadProblem, match="SHA-256 does not match"):
        download_model(token=False)
    nothing_ready(tmp_path)
    assert partial_download() is None


def test_cancel_leaves_nothing_ready_and_a_later_run_resumes(hub: FakeHub, tmp_path: Path) -> None:
    hub.delay = 0.005
    cancel = threading.Event()

    def progress(p) -> None:
        if p.done >= 100_000:
            cancel.set()

    with pytest.raises(DownloadCancelled, match="cancelled"):
        download_model(progress=progress, cancel=cancel, token=False)
    nothing_ready(tmp_path)
    kept = partial_download()
    assert kept is not None and 0 < kept[1] < len(CONTENT)

    hub.delay = 0.0
    result = download_model(token=False)
    assert result.path.read_bytes() == CONTENT
    assert hub.cdn_gets()[-1]["Range"] == f"bytes={kept[1]}-"
    assert partial_download() is None


def test_cancel_can_discard_the_partial_file(hub: FakeHub, tmp_path: Path) -> None:
    hub.delay = 0.005
    cancel = threading.Event()
    with pytest.raises(DownloadCancelled):
        download_model(progress=lambda p: cancel.set(), cancel=cancel, token=False, keep_partial=False)
    nothing_ready(tmp_path)
    assert partial_download() is None


def test_offline_with_and_without_cache(hub: FakeHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(DownloadProblem, match="No network .*and no cached model"):
        download_model(token=False)
    assert hub.requests == []

    monkeypatch.delenv("HF_HUB_OFFLINE")
    path = download_model(token=False).path
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    count = len(hub.requests)
    result = download_model(token=False)
    assert result.path == path and not result.downloaded
    assert result.message.endswith("using the cached model")
    assert len(hub.requests) == count


def test_no_network_uses_the_cache(hub: FakeHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}"
    monkeypatch.setenv("HF_ENDPOINT", dead)
    with pytest.raises(DownloadProblem, match="^No network and no cached model"):
        download_model(token=False)

    monkeypatch.setenv("HF_ENDPOINT", hub.endpoint)
    path = download_model(token=False).path
    monkeypatch.setenv("HF_ENDPOINT", dead)
    result = download_model(token=False)
    assert result.path == path
    assert result.message == "No network: using the cached model"


def test_missing_file_is_a_plain_problem(hub: FakeHub) -> None:
    with pytest.raises(DownloadProblem, match="has no file"):
        download_model(filename="nope.gguf", token=False)


def test_model_download_command(hub: FakeHub, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from scallop_curator.hub.cli import add_model_parser, model_command

    parser = argparse.ArgumentParser(prog="scallop-curator")
    add_model_parser(parser.add_subparsers(dest="command", required=True))
    assert model_command(parser.parse_args(["model", "download"])) == 0
    out = capsys.readouterr().out
    assert out.startswith("Downloaded and checked")
    assert str(cached_model()) in out
    assert "not 'qwen35'" in out  # the header of what was fetched is read and warned about

    hub.serve_damaged = True
    cache = cache_dir(tmp_path)
    for path in sorted(cache.rglob("*"), reverse=True):  # start again from an empty cache
        path.unlink() if path.is_file() or path.is_symlink() else path.rmdir()
    assert model_command(parser.parse_args(["model", "download"])) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith("scallop-curator: The downloaded file is damaged")
