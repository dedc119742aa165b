"""Zip safety and plain-language errors shared by every format."""

import json
import zipfile

import pytest

from scallop_curator.importers import ImportProblem, base, json_stream, load_export


def _zip(path, members):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


@pytest.mark.parametrize("name", ["../evil.json", "/etc/conversations.json", "a/../../conversations.json",
                                  "C:/x/conversations.json"])
def test_path_traversal_refused(tmp_path, name):
    path = _zip(tmp_path / "export.zip", {name: "[]", "conversations.json": "[]"})
    with pytest.raises(ImportProblem, match="export.zip.*unsafe path"):
        load_export(path)


def test_zip_bomb_ratio_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(base, "ZIP_RATIO_FLOOR", 1024 * 1024)
    path = _zip(tmp_path / "bomb.zip", {"conversations.json": b"[" + b" " * (8 * 1024 * 1024) + b"]"})
    with pytest.raises(ImportProblem, match="bomb.zip.*zip bomb"):
        load_export(path)


def test_zip_total_size_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(base, "MAX_ZIP_TOTAL_BYTES", 1000)
    path = _zip(tmp_path / "big.zip", {"conversations.json": json.dumps([{"x": "y" * 2000}])})
    with pytest.raises(ImportProblem, match="big.zip.*GB"):
        load_export(path)


def test_zip_member_count_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(base, "MAX_ZIP_MEMBERS", 5)
    path = _zip(tmp_path / "many.zip", {f"f{i}.json": "[]" for i in range(6)})
    with pytest.raises(ImportProblem, match="many.zip.*6 files"):
        load_export(path)


def test_truncated_zip(fixtures, tmp_path):
    raw = (fixtures / "chatgpt-export.zip").read_bytes()
    path = tmp_path / "cut.zip"
    path.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(ImportProblem, match="cut.zip.*(damaged|cut off)"):
        load_export(path)


def test_zip_without_known_member(tmp_path):
    path = _zip(tmp_path / "photos.zip", {"a.jpg": b"x", "b.jpg": b"y"})
    with pytest.raises(ImportProblem, match="photos.zip.*no conversations.json"):
        load_export(path)


@pytest.mark.parametrize("content, expected", [
    (b"", "empty"),
    (b'{"hello": "world"}', "not a chat export"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\xff\xff", "UTF-8"),
    (b'[{"mapping": {"a": ', "ChatGPT export.*cut off"),
])
def test_not_an_export(tmp_path, content, expected):
    path = tmp_path / "thing.json"
    path.write_bytes(content)
    with pytest.raises(ImportProblem, match=f"thing.json.*{expected}"):
        load_export(path)


def test_missing_file(tmp_path):
    with pytest.raises(ImportProblem, match="nope.json.*cannot be opened"):
        load_export(tmp_path / "nope.json")


def test_streaming_handles_chunk_boundaries(tmp_path, monkeypatch):
    monkeypatch.setattr(json_stream, "CHUNK_CHARS", 7)
    items = [{"uuid": f"c{i}", "name": "é" * i, "chat_messages": [
        {"uuid": f"m{i}", "sender": "human", "text": "héllo \\u00e9 " * i, "content": []}]} for i in range(1, 30)]
    path = tmp_path / "conversations.json"
    path.write_text(json.dumps(items, ensure_ascii=False, indent=1), encoding="utf-8")
    result = load_export(path)
    assert [c.id for c in result.conversations] == [f"claude:c{i}" for i in range(1, 30)]
    assert result.conversations[3].turns[0].text == ("héllo \\u00e9 " * 4).strip()


def test_sqlite_text_that_is_not_utf8_is_read(fixtures, tmp_path):
    """Found by the fuzz run: one damaged byte in the schema's text raised UnicodeDecodeError (a bug)."""
    raw = bytearray((fixtures / "memories.db").read_bytes())
    at = raw.index(b"CREATE TABLE") + 2  # the first E of CREATE
    raw[at] = 0xC4  # starts a two-byte character that the next byte does not continue
    path = tmp_path / "memories.db"
    path.write_bytes(bytes(raw))
    try:
        load_export(path)
    except ImportProblem as problem:
        assert "unexpectedly" not in str(problem), str(problem)
