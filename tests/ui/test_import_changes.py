"""An import made in the window reaches the views as Changes, like every other store change."""

from __future__ import annotations

from pathlib import Path

from helpers import import_and_wait, write_chatgpt_export


def test_an_import_is_published_and_the_list_shows_it(qtbot, open_window, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    window = open_window()
    published: list = []
    window.ops.changed.connect(published.append)
    first = write_chatgpt_export(tmp_path / "one.json", [("Cycling", 1_700_000_000, [("user", "I cycle to work."), ("assistant", "Nice.")])])
    import_and_wait(qtbot, window, first)
    assert [c.imported for c in published] == [True]
    assert window.conversations.rowCount() == 1 and window.current_conversation() is not None

    # A later export of the same account (the first conversation again, and a new one): the list grows
    # from the published change.
    second = write_chatgpt_export(tmp_path / "two.json", [
        ("Cycling", 1_700_000_000, [("user", "I cycle to work."), ("assistant", "Nice.")]),
        ("Tea", 1_700_100_000, [("user", "I drink green tea."), ("assistant", "Ok.")])])
    import_and_wait(qtbot, window, second)
    assert [c.imported for c in published] == [True, True]
    titles = [window.conversations.summary(r).title for r in range(window.conversations.rowCount())]
    assert sorted(titles) == ["Cycling", "Tea"]
