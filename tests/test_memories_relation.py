"""How a proposal relates to kept memories, and what accepting it does: each relation on a real store."""

from __future__ import annotations

from pathlib import Path

import pytest

from scallop_curator.domain.review import Status
from scallop_curator.store import Store, memories, migrations, operations
from scallop_curator.store.memories_relation import RelationKind
from tests.test_operations import db_path, fact, propose, store  # noqa: F401  (fixtures)


def keep(store: Store, *facts) -> list[int]:  # type: ignore[no-untyped-def]
    ids = propose(store, list(facts), turn=1)
    for proposal_id in ids:
        operations.decide(store, proposal_id, Status.ACCEPTED)
    return [memories.listed(store.db, statuses=None, order="oldest")[-len(ids) + i].id for i in range(len(ids))]


def kinds(store: Store, proposal_ids: list[int]) -> list[RelationKind]:
    return [operations.relation_of(store, store.proposal(i)).kind for i in proposal_ids]


def test_new_and_already_kept(store: Store) -> None:
    (kept,) = keep(store, fact("Has a dog named Rex"))
    ids = propose(store, [fact("has a dog named Rex."), fact("Grows tomatoes"), fact("Has a dog named Rex", subject="Anna")])
    assert kinds(store, ids) == [RelationKind.ALREADY_KEPT, RelationKind.NEW, RelationKind.NEW]
    # accepting a repeat confirms the kept memory instead of adding a copy; undo takes the confirmation back
    operations.decide(store, ids[0], Status.ACCEPTED)
    assert [(m.id, m.confirmations) for m in memories.listed(store.db)] == [(kept, 1)]
    operations.undo(store)
    assert [(m.id, m.confirmations) for m in memories.listed(store.db)] == [(kept, 0)]
    keep(store, fact("Has 2 kids"))
    (three,) = propose(store, [fact("Has 3 kids")])
    assert kinds(store, [three]) != [RelationKind.ALREADY_KEPT]  # another number is another fact


def test_conflict_keeps_both_unless_the_user_replaces(store: Store) -> None:
    (kept,) = keep(store, fact("Lives in Paris", category="location"))
    a, b = propose(store, [fact("Lives in Berlin", category="location"), fact("Lives in Lisbon", category="location")])
    found = operations.relation_of(store, store.proposal(a))
    assert found.kind is RelationKind.CONFLICTS and found.ids == [kept]
    assert found.label() == "conflicts with “Lives in Paris”"
    operations.decide(store, a, Status.ACCEPTED)  # no choice: keep both
    assert sorted(m.content for m in memories.listed(store.db)) == ["Lives in Berlin", "Lives in Paris"]
    operations.undo(store)
    operations.decide(store, a, Status.ACCEPTED, choice=operations.REPLACE)
    current = memories.listed(store.db)
    assert [m.content for m in current] == ["Lives in Berlin"]
    old = memories.get(store.db, kept)
    assert old.status == "superseded" and old.superseded_by == current[0].id and old.valid_until
    assert kinds(store, [b]) == [RelationKind.CONFLICTS]  # now against Berlin
    operations.undo(store)  # the replaced memory comes back as it was
    old = memories.get(store.db, kept)
    assert old.status == "current" and old.superseded_by is None and old.valid_until is None


def test_correction_would_replace_and_accepting_supersedes(store: Store) -> None:
    (kept,) = keep(store, fact("Works as a nurse", category="work"))
    (c,) = propose(store, [fact("Works as a teacher", category="work", action="correction",
                                old_value="Works as a nurse")])
    found = operations.relation_of(store, store.proposal(c))
    assert found.kind is RelationKind.WOULD_REPLACE and found.ids == [kept]
    assert "would replace “Works as a nurse”" in found.label()
    changes = operations.decide(store, c, Status.ACCEPTED)
    assert kept in changes.memories
    assert memories.get(store.db, kept).status == "superseded"
    operations.decide(store, c, Status.REJECTED)  # changing the decision puts the old one back
    assert memories.get(store.db, kept).status == "current"


def test_preference_update_would_replace(store: Store) -> None:
    (kept,) = keep(store, fact("Prefers coffee", category="preference"))
    (p,) = propose(store, [fact("Prefers tea", category="preference", action="preference_update", replaces="coffee")])
    found = operations.relation_of(store, store.proposal(p))
    assert found.kind is RelationKind.WOULD_REPLACE and found.ids == [kept]


def test_forget_would_forget_and_nothing_goes_before_the_decision(store: Store) -> None:
    kept = keep(store, fact("Lives at 12 Elm Street", category="location"), fact("Likes hiking", category="general"))
    (f,) = propose(store, [fact("Forget that the user lives at 12 Elm Street", category="location", action="forget",
                                old_value="lives at 12 Elm Street")])
    found = operations.relation_of(store, store.proposal(f))
    assert found.kind is RelationKind.WOULD_FORGET and found.ids == [kept[0]]
    assert memories.get(store.db, kept[0]).status == "current"  # shown, not done
    operations.decide(store, f, Status.ACCEPTED)
    assert [m.content for m in memories.listed(store.db)] == ["Likes hiking"]  # no memory "forget ..." either
    assert memories.get(store.db, kept[0]).status == "forgotten"
    operations.undo(store)
    assert memories.get(store.db, kept[0]).status == "current"


def test_add_memory_by_hand_says_already_kept_or_asks_for_a_choice(store: Store) -> None:
    (kept,) = keep(store, fact("Lives in Paris", category="location"))
    changes, found, target = operations.add_memory(store, "lives in Paris", "user", "location")
    assert found.kind is RelationKind.ALREADY_KEPT and target == kept
    assert memories.get(store.db, kept).confirmations == 1
    with pytest.raises(operations.ChoiceNeeded, match="conflicts with “Lives in Paris”"):
        operations.add_memory(store, "Lives in Rome", "user", "location")
    _, _, both = operations.add_memory(store, "Lives in Rome", "user", "location", choice=operations.KEEP_BOTH)
    assert {m.content for m in memories.listed(store.db)} == {"Lives in Paris", "Lives in Rome"}
    _, _, new = operations.add_memory(store, "Lives in Oslo", "user", "location", choice=operations.REPLACE)
    assert [m.content for m in memories.listed(store.db)] == ["Lives in Oslo"]
    assert memories.get(store.db, both).superseded_by == new


def test_search_as_you_type_and_filters(store: Store, tmp_path: Path) -> None:
    keep(store, fact("Plays the violin", category="general"), fact("Lives in Vienna", category="location"),
         fact("Anna plays chess", subject="Anna", category="relationship"))
    assert [m.content for m in memories.listed(store.db, search="vio")] == ["Plays the violin"]
    assert [m.content for m in memories.listed(store.db, search="plays")] == ["Anna plays chess", "Plays the violin"]
    assert [m.content for m in memories.listed(store.db, subject="anna")] == ["Anna plays chess"]
    assert memories.count(store.db, category="location") == 1
    edited = memories.listed(store.db, search="vienna")[0]
    operations.edit_memory(store, edited.id, "Lives in Graz")
    assert memories.listed(store.db, search="vienna") == [] and memories.count(store.db, search="graz") == 1


def test_migration_keeps_a_version_1_store(tmp_path: Path) -> None:
    """A store made before this step (no lifecycle columns, no FTS) gains them and keeps its memories."""
    import sqlite_utils

    from scallop_curator.store import schema

    path = tmp_path / "v1.db"
    db = sqlite_utils.Database(path)
    schema.create(db)
    db["memories"].insert({"proposal_id": None, "content": "Likes figs", "subject": "user", "category": "general",
                           "confidence": 1.0, "action": "fact", "created_at": "2026-01-01"})
    db.conn.close()
    s = Store(path)
    assert [(m.content, m.status) for m in memories.listed(s.db, search="figs")] == [("Likes figs", "current")]
    assert s.db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0] == str(migrations.latest())
    s.close()
