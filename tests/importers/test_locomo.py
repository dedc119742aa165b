import pytest

from scallop_curator.importers import ImportOptions, ImportProblem, load_export
from scallop_curator.importers.locomo import session_time, speakers_in


@pytest.fixture
def locomo(samples):
    return samples / "locomo" / "locomo10_conv-26_only.json"


def test_default_first_speaker_sessions_dated(locomo):
    result = load_export(locomo)
    assert result.format_name.endswith("(LoCoMo)")
    assert len(result.conversations) == 19
    first = result.conversations[0]
    assert first.turns[0].role == "user" and first.turns[0].text.startswith("Hey Mel")
    assert first.turns[0].source_id == "D1:1"
    assert first.turns[0].time.isoformat() == "2023-05-08T13:56:00+00:00"
    assert all(t.time == first.created_at for t in first.turns)


def test_chosen_speaker(locomo):
    result = load_export(locomo, options=ImportOptions(user_speaker="Melanie"))
    first = result.conversations[0]
    assert first.turns[0].role == "assistant" and first.turns[1].role == "user"
    assert "melanie" in first.id
    assert speakers_in(locomo) == ["Caroline", "Melanie"]


def test_unknown_speaker(locomo):
    with pytest.raises(ImportProblem, match="Bob does not speak.*Caroline, Melanie"):
        load_export(locomo, options=ImportOptions(user_speaker="Bob"))


def test_date_text():
    assert session_time("12:09 am on 13 September, 2023").hour == 0
    assert session_time("nonsense") is None
