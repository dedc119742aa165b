"""The store's side of the review window: message search through FTS5 (also in a store made by
the release before), every field of a fact editable and undoable, and turns left unextracted."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlite_utils

from scallop_curator.domain.facts import Fact
from scallop_curator.domain.results import RunInfo, TurnResult
from scallop_curator.domain.review import Status
from scallop_curator.importers import load_export
from scallop_curator.store import Store, migrations, schema
from scallop_curator.store.store import fts_query

INFO = RunInfo(model="m.gguf", prompt_version="extract-v1")


def test_a_store_from_the_release_before_gets_message_search(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db = sqlite_utils.Database(sqlite3.connect(path))
    schema.create(db)  # version 1, as the release before left it
    db["conversations"].insert({"id": "c1", "title": "Bread", "created_at": "2025-01-01T00:00:00"})
    db["turns"].insert({"conversation_id": "c1", "idx": 0, "role": "user", "text": "I'm allergic to walnuts",
                        "source_id": "t1"})
    db.conn.commit()
    db.conn.close()

    store = Store(path)
    assert migrations.read_version(store.db) == migrations.latest()
    assert store.conversation_ids("walnut") == ["c1"]
    assert store.conversation_count("allergic walnuts") == 1
    assert "edited_fields" in store.db["proposals"].columns_dict
    # The triggers keep the index in step with later writes.
    with store.db.atomic():
        store.db["conversations"].insert({"id": "c2", "title": "Other", "created_at": "2025-02-01T00:00:00"})
        store.db["turns"].insert({"conversation_id": "c2", "idx": 0, "role": "user", "text": "my cat is Pip",
                                  "source_id": "t2"})
    assert store.conversation_ids("pip") == ["c2"]
    with store.db.atomic():
        store.db.execute("UPDATE turns SET text = 'my dog is Rex' WHERE source_id = 't2'")
    assert store.conversation_ids("pip") == [] and store.conversation_ids("rex") == ["c2"]
    with store.db.atomic():
        store.db.execute("DELETE FROM turns WHERE source_id = 't2'")
    assert store.conversation_ids("rex") == []
    store.close()


def test_filter_words_are_never_fts_syntax() -> None:
    assert fts_query('walnuts OR "x" NEAR(') == '"walnuts" "OR" "x" "NEAR"*'
    assert fts_query("  ") == ""
    assert fts_query("flash") == '"flash"*'


def test_every_field_of_a_fact_is_edited_and_undone(tmp_path: Path, sample_export: Path) -> None:
    store = Store(tmp_path / "memories.db")
    store.import_file(load_export(sample_export), str(sample_export))
    conversation = store.conversations()[0].id
    run = store.start_run(INFO)
    [pid] = store.record_result(run, INFO, TurnResult(
        conversation_id=conversation, turn_index=0, parse_ok=True,
        facts=[Fact(content="Lives in Rotterdam", subject="user", category="location", confidence=0.9)]))
    fields = {"subject": "Ana", "category": "relationship", "confidence": 0.4, "action": "correction",
              "old_value": "Utrecht", "replaces": "home"}
    edited = store.decide(pid, Status.EDITED, "Lives in Delft", fields)
    assert (edited.text, edited.subject, edited.category, edited.confidence, edited.action, edited.old_value,
            edited.replaces) == ("Lives in Delft", "Ana", "relationship", 0.4, "correction", "Utrecht", "home")
    assert edited.content == "Lives in Rotterdam"  # the model's answer is kept beside the edit
    [memory] = store.memories()
    assert (memory["subject"], memory["category"], memory["old_value"]) == ("Ana", "relationship", "Utrecht")
    store.undo()
    back = store.proposal(pid)
    assert (back.status, back.text, back.subject, back.action, back.edited_fields) == \
        (Status.PENDING, "Lives in Rotterdam", "user", "fact", None)
    store.redo()
    assert store.proposal(pid).subject == "Ana"
    # Accepting after an edit keeps the edited fields.
    store.decide(pid, Status.ACCEPTED)
    assert store.proposal(pid).category == "relationship"
    store.close()


def test_unextracted_turns_and_stale_runs(tmp_path: Path, sample_export: Path) -> None:
    store = Store(tmp_path / "memories.db")
    store.import_file(load_export(sample_export), str(sample_export))
    all_ids = set(store.conversation_ids())
    dutch = next(s for s in store.conversations() if s.title == "Dutch B1 study plan")
    run = store.start_run(INFO)
    store.record_result(run, INFO, TurnResult(conversation_id=dutch.id, turn_index=0, parse_ok=True))
    assert set(store.conversations_with_unextracted()) == all_ids  # half done is not done
    assert store.extracted_turn_indexes(dutch.id) == {0}
    assert store.unextracted_turn_count([dutch.id]) == dutch.user_turns - 1
    assert store.summaries([dutch.id])[dutch.id].unextracted == dutch.user_turns - 1
    assert store.interrupt_stale_runs() == 1
    assert store.last_run_status() == "interrupted"
    assert store.interrupt_stale_runs() == 0
    store.close()
