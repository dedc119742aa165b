"""Streaming JSON lists: the C parser and the standard one agree, say exactly where a file breaks,
and every size limit holds (inclusive, checked before reading and again while reading)."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from scallop_curator.importers import ImportProblem, base, json_stream, load_export


def _claude(i: int, text: str = "hello") -> dict:
    return {"uuid": f"c{i}", "name": f"Chat {i}", "chat_messages": [
        {"uuid": f"m{i}", "sender": "human", "text": f"{text} {i}", "content": []}]}


def _write(tmp_path, text: str | bytes, name: str = "conversations.json"):
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text)
    return path


@pytest.mark.parametrize("damage, expected", [
    (lambda t: t.replace('"c900",', '"c900"', 1), "expecting ',' delimiter"),
    (lambda t: t.replace('"sender": "human"', '"sender": human', 1), "expecting value"),
    (lambda t: t.replace('"text": "hello 2401"', '"text": "hello\x01 2401"', 1), "invalid control character"),
])
def test_broken_file_names_exact_line_and_column(tmp_path, monkeypatch, damage, expected):
    """A damage deep in a multi-chunk file is reported where json.loads of the whole text says."""
    monkeypatch.setattr(json_stream, "CHUNK_CHARS", 4096)
    text = damage(json.dumps([_claude(i, "hello" * 3 if i % 7 else "hello") for i in range(3000)], indent=1))
    with pytest.raises(json.JSONDecodeError) as truth:
        json.loads(text)
    path = _write(tmp_path, text)
    with pytest.raises(ImportProblem) as info:
        load_export(path)
    message = str(info.value)
    assert f"line {truth.value.lineno:,}, column {truth.value.colno:,}" in message, message
    assert expected in message and "conversations.json" in message


def test_cut_off_file_says_so(tmp_path):
    text = json.dumps([_claude(i) for i in range(2000)], indent=1)
    cut = text[: len(text) * 2 // 3]
    path = _write(tmp_path, cut)
    with pytest.raises(ImportProblem, match=f"ends early at line {cut.count(chr(10)) + 1:,}.*cut off"):
        load_export(path)


def test_invalid_utf8_names_the_byte(tmp_path):
    raw = json.dumps([_claude(i) for i in range(3000)], indent=1).encode()
    at = len(raw) - 5000
    at = raw.index(b"hello", at)
    path = _write(tmp_path, raw[:at] + b"\xff" + raw[at:])
    with pytest.raises(ImportProblem, match=f"not valid UTF-8 text: byte {at:,} "):
        load_export(path)


def test_json_other_parsers_refuse_still_imports(tmp_path):
    """Integers past 64 bits, NaN and a byte-order mark (which yajl, for one, refuses) import."""
    items = [_claude(i) for i in range(200)]
    items[120]["size"] = 10**30
    text = json.dumps(items).replace('"c150"', '"c150", "score": NaN')
    path = _write(tmp_path, b"\xef\xbb\xbf" + text.encode())
    result = load_export(path)
    assert [c.id for c in result.conversations] == [f"claude:c{i}" for i in range(200)]


def test_file_of_exactly_the_limit_is_refused_before_reading(tmp_path, monkeypatch):
    path = _write(tmp_path, json.dumps([_claude(i) for i in range(5)]))
    monkeypatch.setattr(base, "MAX_FILE_BYTES", path.stat().st_size + 1)
    assert load_export(path).conversations  # one byte under the limit: read
    monkeypatch.setattr(base, "MAX_FILE_BYTES", path.stat().st_size)
    with pytest.raises(ImportProblem, match="conversations.json.*we read files under"):
        load_export(path)


def test_sparse_2gib_file_is_refused_without_reading(tmp_path, monkeypatch):
    path = tmp_path / "conversations.json"
    with path.open("wb") as handle:
        handle.truncate(2 * 1024**3)  # sparse: no disk used

    def no_reading(*args, **kwargs):
        raise AssertionError("the content was read")

    monkeypatch.setattr(base, "_fill_from_stream", no_reading)
    with pytest.raises(ImportProblem, match=r"conversations.json: The file is 2\.1 GB; we read files under 2 GiB"):
        load_export(path)


def test_content_read_whole_has_its_own_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(base, "MAX_WHOLE_BYTES", 4096)
    lines = "\n".join(json.dumps({"messages": [{"role": "user", "content": f"hi {i}"}]}) for i in range(200))
    path = _write(tmp_path, lines, "chat.jsonl")
    with pytest.raises(ImportProblem, match="chat.jsonl: it is not a JSON list.*more than the 0 MiB we read whole"):
        load_export(path)
    page = _write(tmp_path, "<html><script>var jsonData = [" + " " * 5000 + "]</script></html>", "chat.html")
    with pytest.raises(ImportProblem, match="chat.html: .*import the conversations.json beside this page"):
        load_export(page)
    zipped = tmp_path / "export.zip"
    with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("conversations.json", "\x00" * 100_000)
    with pytest.raises(ImportProblem, match="export.zip: conversations.json in the zip: it is not a JSON list"):
        load_export(zipped)


def test_whole_read_stops_at_the_limit_even_when_the_size_lies(tmp_path, monkeypatch):
    """What stat or a zip header says is only used to refuse early; reading never goes past the limit."""
    monkeypatch.setattr(base, "MAX_WHOLE_BYTES", 4096)
    source = base.Source(tmp_path / "x.txt")
    reads: list[int] = []

    def opener():
        stream = io.BytesIO(b"User: hi\n" * 100_000)
        original = stream.read

        def read(size=-1):
            reads.append(size)
            return original(size)

        stream.read = read  # type: ignore[method-assign]
        return stream

    with pytest.raises(ImportProblem, match="0 MiB or more"):
        base._fill_from_stream(source, [("", opener)], b"User: hi\n", size=10)
    assert reads == [4096]


def test_one_huge_conversation_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(base, "MAX_ITEM_BYTES", 200_000)
    monkeypatch.setattr(json_stream, "CHUNK_CHARS", 4096)  # the parser may read one buffer past the limit
    items = [_claude(i) for i in range(300)]
    items[250]["pad"] = "x" * 1_000_000
    path = _write(tmp_path, json.dumps(items))
    with pytest.raises(ImportProblem, match=r"conversation 251 \(from byte [\d,]+\) is larger than 0 MiB"):
        load_export(path)


def test_stream_stops_at_the_total_limit_whatever_was_declared():
    stream = io.BytesIO(json.dumps([_claude(i) for i in range(2000)]).encode())
    with pytest.raises(json_stream.StreamProblem, match="more than we read"):
        for _ in json_stream.iter_json_array(lambda: stream, max_bytes=100_000, max_item_bytes=10**9):
            pass


def test_zip_member_of_exactly_the_file_limit_is_refused(tmp_path, monkeypatch):
    zipped = tmp_path / "export.zip"
    with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("conversations.json", json.dumps([_claude(i) for i in range(50)]))
    size = zipfile.ZipFile(zipped).getinfo("conversations.json").file_size
    monkeypatch.setattr(base, "MAX_FILE_BYTES", size + 1)
    assert load_export(zipped).conversations
    monkeypatch.setattr(base, "MAX_FILE_BYTES", size)
    with pytest.raises(ImportProblem, match="export.zip.*conversations.json would unpack to"):
        load_export(zipped)


def test_detection_reads_only_the_first_items(tmp_path, monkeypatch):
    """Recognising a list of unknown things must not read it whole (it used to, via Source.data)."""
    monkeypatch.setattr(base, "MAX_ITEM_BYTES", 10**9)
    path = _write(tmp_path, json.dumps([{"unknown": i} for i in range(50_000)]))
    seen = []
    real = base._iter_json_array

    def counting(*args):
        for item in real(*args):
            seen.append(item)
            yield item

    monkeypatch.setattr(base, "_iter_json_array", counting)
    with pytest.raises(ImportProblem, match="not a chat export"):
        load_export(path)
    assert len(seen) <= base.HEAD_ITEMS


@pytest.mark.parametrize("depth", [2_000, 200_000])
def test_deep_nesting_is_refused_plainly(tmp_path, depth):
    """Nesting costs nothing to write; it must be refused without building (or recursing) deeply."""
    raw = b'[{"uuid": "c1", "name": "deep", "chat_messages": ' + b"[" * depth + b"]" * depth + b"}]"
    path = _write(tmp_path, raw)
    with pytest.raises(ImportProblem, match="conversations.json.*nested too deeply"):
        load_export(path)


def test_lone_surrogates_become_replacement_characters_and_store(tmp_path):
    """JSON may escape a lone surrogate; SQLite refuses it, so the import replaces it and keeps pairs."""
    from scallop_curator.store import Store

    raw = ('[{"uuid": "c\\ud800", "name": "bad \\udfff title", "chat_messages": [{"uuid": "m1", "sender": "human",'
           ' "text": "lone \\ud800 and a pair \\ud83d\\ude00", "content": []}]}]')
    result = load_export(_write(tmp_path, raw))
    conversation = result.conversations[0]
    assert conversation.title == "bad \ufffd title" and conversation.id == "claude:c\ufffd"
    assert conversation.turns[0].text == "lone \ufffd and a pair \U0001f600"
    store = Store(tmp_path / "store.db")
    try:
        assert store.import_file(result, "conversations.json").new_turns == 1
    finally:
        store.close()


def test_line_and_column_hold_with_a_bom_and_wide_characters_cut_by_chunks(tmp_path, monkeypatch):
    """Lines are counted in the bytes read (a BOM dropped, characters cut across chunks): the message
    still names the line and column json.loads names for the same text."""
    monkeypatch.setattr(json_stream, "CHUNK_CHARS", 4093)  # odd: chunks end inside multi-byte characters
    text = json.dumps([_claude(i, "été 日本 😀\nnext line" * (1 + i % 5)) for i in range(2500)],
                      indent=2, ensure_ascii=False)
    text = text.replace('"c2100",', '"c2100"', 1)
    with pytest.raises(json.JSONDecodeError) as truth:
        json.loads(text)
    path = _write(tmp_path, b"\xef\xbb\xbf" + text.encode("utf-8"))
    with pytest.raises(ImportProblem) as info:
        load_export(path)
    assert truth.value.lineno > 20_000
    assert f"line {truth.value.lineno:,}, column {truth.value.colno:,}" in str(info.value), str(info.value)


def test_line_and_column_of_a_zipped_file(tmp_path, monkeypatch):
    """Lines are counted by reading the member again from its start, only for the message."""
    monkeypatch.setattr(json_stream, "CHUNK_CHARS", 4096)
    text = json.dumps([_claude(i, "hé 日本") for i in range(3000)], indent=1, ensure_ascii=False)
    text = text.replace('"c2900",', '"c2900"', 1)
    with pytest.raises(json.JSONDecodeError) as truth:
        json.loads(text)
    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("conversations.json", text)
    with pytest.raises(ImportProblem) as info:
        load_export(path)
    assert f"line {truth.value.lineno:,}, column {truth.value.colno:,}" in str(info.value), str(info.value)
    assert "in the zip" in str(info.value)
