import json
import zipfile

import pytest

from scallop_curator.importers import ImportProblem, load_export
from tests.importers.conftest import texts


def test_real_export(samples):
    result = load_export(samples / "chatgpt" / "chatgpt-export.json")
    assert result.format_name == "ChatGPT export"
    assert len(result.conversations) == 2
    assert all(c.id.startswith("chatgpt:") for c in result.conversations)
    first = result.conversations[0]
    assert {t.role for t in first.turns} == {"user", "assistant"}  # its tool messages have weight 0: hidden
    assert any(t.text.startswith("search(") for t in first.turns)  # code content type


def test_tree_follows_current_node_edited_and_regenerated(samples):
    raw = json.loads((samples / "chatgpt" / "chatgpt-tree.json").read_text())[0]
    conv = load_export(samples / "chatgpt" / "chatgpt-tree.json").conversations[0]
    # The visible thread is exactly the path to current_node: no sibling branches mixed in.
    mapping, node, path = raw["mapping"], raw["current_node"], []
    while node:
        if mapping[node].get("message"):
            path.append(mapping[node]["message"]["id"])
        node = mapping[node]["parent"]
    assert [t.source_id for t in conv.turns] == [i for i in reversed(path) if i in {t.source_id for t in conv.turns}]
    branched = [k for k, v in mapping.items() if len(v.get("children") or []) > 1]
    assert branched, "the sample has branch points"
    off_path = {c for k in branched for c in mapping[k]["children"]} - set(path)
    assert not off_path & {t.source_id for t in conv.turns}


def test_ids_stable_across_reimports(samples):
    a = load_export(samples / "chatgpt" / "chatgpt-export.json")
    b = load_export(samples / "chatgpt" / "chatgpt-export.json")
    assert [(c.id, [t.source_id for t in c.turns]) for c in a.conversations] == \
           [(c.id, [t.source_id for t in c.turns]) for c in b.conversations]


def test_content_types_and_hidden(fixtures):
    conv = load_export(fixtures / "chatgpt-content-types.json").conversations[0]
    body = texts(conv)
    for secret in ("THOUGHT-SECRET", "RECAP-SECRET", "PROFILE-SECRET", "HIDDEN-SECRET"):
        assert secret not in body
    assert "[image]" in body and "balcony in Lisbon" in body
    assert "Monstera deliciosa" in body  # execution_output
    assert "print(identify" in body  # code
    assert "# Watering guide" in body and "Water weekly." in body  # browsing display and quote
    assert [t.role for t in conv.turns][:2] == ["user", "assistant"]


@pytest.mark.parametrize("name", ["chatgpt-export.zip", "chatgpt-sharded.zip", "chatgpt-sharded-folder", "chat.html"])
def test_containers(fixtures, name):
    result = load_export(fixtures / name)
    assert result.format_name == "ChatGPT export"
    ids = [c.id for c in result.conversations]
    assert "chatgpt:d5dc5307-6807-41a0-8b04-4acee626eeb7" in ids
    assert len(ids) == len(set(ids))
    if name != "chat.html":
        assert "chatgpt:conv-types" in ids


def test_zip_and_plain_agree(fixtures, tmp_path):
    with zipfile.ZipFile(fixtures / "chatgpt-export.zip") as archive:
        (tmp_path / "conversations.json").write_bytes(archive.read("conversations.json"))
    plain = load_export(tmp_path / "conversations.json")
    zipped = load_export(fixtures / "chatgpt-export.zip")
    assert plain.conversations == zipped.conversations


def test_sharded_missing_part(fixtures, tmp_path):
    folder = tmp_path / "export"
    folder.mkdir()
    for f in (fixtures / "chatgpt-sharded-folder").iterdir():
        if f.name != "conversations-001.json":
            (folder / f.name).write_bytes(f.read_bytes())
    with pytest.raises(ImportProblem, match="conversations-001.json"):
        load_export(folder)


def test_truncated_export_names_file_format_and_place(samples, tmp_path):
    text = (samples / "chatgpt" / "chatgpt-export.json").read_text()
    cut = tmp_path / "cut.json"
    cut.write_text(text[: len(text) * 2 // 3])
    with pytest.raises(ImportProblem) as info:
        load_export(cut)
    message = str(info.value)
    assert "cut.json" in message and "ChatGPT" in message and "line" in message and "cut off" in message


def test_bad_conversation_skipped_good_kept(samples, tmp_path):
    data = json.loads((samples / "chatgpt" / "chatgpt-export.json").read_text())
    data.append({"title": "Broken", "mapping": {"x": {"parent": None}}})  # no id
    data.append({"title": "Also broken", "id": "b2", "mapping": {"a": "not a node"}, "current_node": "a"})
    path = tmp_path / "mixed.json"
    path.write_text(json.dumps(data))
    result = load_export(path)
    assert len(result.conversations) == 2
    assert [s[0] for s in result.skipped] == ["Broken", "Also broken"]
    assert all("skipped" in s[1] for s in result.skipped)


def test_invalid_utf8(samples, tmp_path):
    raw = (samples / "chatgpt" / "chatgpt-export.json").read_bytes()
    path = tmp_path / "bad.json"
    path.write_bytes(raw[:5000] + b"\xff\xfe" + raw[5000:])
    with pytest.raises(ImportProblem, match="UTF-8") as info:
        load_export(path)
    assert "bad.json" in str(info.value)


def _node(node_id, parent, children, role="user", text=None, time=None):
    return {"id": node_id, "parent": parent, "children": children, "message": {
        "id": node_id, "author": {"role": role}, "create_time": time,
        "content": {"content_type": "text", "parts": [text or f"text of {node_id}"]}}}


def _export(tmp_path, conversations):
    path = tmp_path / "conversations.json"
    path.write_text(json.dumps(conversations))
    return load_export(path)


def test_loop_without_current_node_imports_and_says_so(tmp_path):
    mapping = {"a": _node("a", "b", ["b"], "user", time=1.0), "b": _node("b", "a", ["a"], "assistant", time=2.0)}
    result = _export(tmp_path, [{"id": "loop", "title": "Loopy", "mapping": mapping}])
    conv = result.conversations[0]
    assert [t.source_id for t in conv.turns] == ["a", "b"]  # read back from the newest message
    [(title, reason)] = result.skipped
    assert title == "Loopy"
    assert "loop" in reason and "no current message" in reason and "'b'" in reason


def test_own_parent_recovered_from_children_lists(tmp_path):
    mapping = {
        "root": {"id": "root", "parent": None, "children": ["m1"], "message": None},
        "m1": _node("m1", "root", ["m2"], "user"),
        "m2": _node("m2", "m2", ["m3"], "assistant"),  # its own parent
        "m3": _node("m3", "m2", [], "user"),
    }
    result = _export(tmp_path, [{"id": "self", "title": "Selfish", "mapping": mapping, "current_node": "m3"}])
    assert [t.source_id for t in result.conversations[0].turns] == ["m1", "m2", "m3"]
    [(title, reason)] = result.skipped
    assert title == "Selfish" and "'m2' names itself as its parent" in reason and "children lists" in reason


def test_own_parent_unrecoverable_says_turns_are_missing(tmp_path):
    mapping = {
        "m1": _node("m1", None, [], "user"),  # lost its child link too
        "m2": _node("m2", "m2", ["m3"], "assistant"),
        "m3": _node("m3", "m2", [], "user"),
    }
    good = {"id": "fine", "title": "Fine", "mapping": {"x": _node("x", None, [])}, "current_node": "x"}
    result = _export(tmp_path, [{"id": "self", "title": "Cut", "mapping": mapping, "current_node": "m3"}, good])
    assert [t.source_id for t in result.conversations[0].turns] == ["m2", "m3"]
    assert [t.source_id for t in result.conversations[1].turns] == ["x"]
    [(title, reason)] = result.skipped
    assert title == "Cut" and "names itself as its parent" in reason and "left out" in reason
    assert "(2 turns)" in reason


def test_sound_trees_give_no_warning(fixtures):
    for name in ("chatgpt-export.zip", "chatgpt-content-types.json", "chatgpt-sharded.zip"):
        assert load_export(fixtures / name).skipped == []
