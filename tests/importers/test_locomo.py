import pytest

from scallop_curator.importers import ImportOptions, ImportProblem, load_export
from scallop_curator.importers.locomo import session_time, speakers_in


@pytest.fixture
def locomo(samples):
    return samples / "locomo" / "locomo-shaped-pair.json"


def test_default_first_speaker_sessions_dated(locomo):
    result = load_export(locomo)
    assert result.format_name.endswith("(LoCoMo)")
    assert len(result.conversations) == 4
    first = result.conversations[0]
    assert first.turns[0].role == "user" and first.turns[0].text.startswith("Hi Ivan!")
    assert first.turns[0].source_id == "D1:1"
    assert first.turns[0].time.isoformat() == "2024-03-03T14:05:00+00:00"
    assert all(t.time == first.created_at for t in first.turns)


def test_chosen_speaker(locomo):
    result = load_export(locomo, options=ImportOptions(user_speaker="Ivan"))
    first = result.conversations[0]
    assert first.turns[0].role == "assistant" and first.turns[1].role == "user"
    assert "ivan" in first.id
    assert speakers_in(locomo) == ["Rosa", "Ivan"]


def test_unknown_speaker(locomo):
    with pytest.raises(ImportProblem, match="Bob does not speak.*Rosa, Ivan"):
        load_export(locomo, options=ImportOptions(user_speaker="Bob"))


def test_date_text():
    assert session_time("12:09 am on 13 September, 2023").hour == 0
    assert session_time("nonsense") is None
