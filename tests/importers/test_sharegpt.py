from scallop_curator.importers import load_export


def test_json_and_jsonl(fixtures):
    listed = load_export(fixtures / "sharegpt.json")
    lines = load_export(fixtures / "sharegpt.jsonl")
    assert listed.format_name == lines.format_name == "ShareGPT file"
    assert [c.id for c in listed.conversations] == [c.id for c in lines.conversations] == ["sharegpt:sg-1", "sharegpt:sg-2"]
    assert [t.role for t in listed.conversations[0].turns] == ["system", "user", "assistant"]
    assert listed.skipped and "skipped" in listed.skipped[0][1]
