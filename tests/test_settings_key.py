"""The server API key: in the keychain, never in settings.json, unless the user asks; with no
keychain, kept for the session only; a plain key of an older file moves into the keychain."""

from __future__ import annotations

import json
from collections.abc import Iterator

import keyring
import pytest
from memory_keyring import MemoryKeyring

from scallop_curator import keychain, paths
from scallop_curator.settings import Settings

KEY = ("scallop-curator", "server-api-key")


@pytest.fixture
def memory_keychain() -> Iterator[MemoryKeyring]:
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend  # conftest puts the "no keychain" backend back before the next test


def _on_disk() -> dict:
    return json.loads(paths.settings_path().read_text(encoding="utf-8"))


def _server(key: str | None, **more: object) -> Settings:
    return Settings(model_source="server", server_url="http://127.0.0.1:8080/v1", server_api_key=key, **more)


def test_the_key_goes_to_the_keychain_not_the_file(memory_keychain: MemoryKeyring) -> None:
    assert keychain.available()
    _server("sk-secret").save()
    assert "sk-secret" not in paths.settings_path().read_text(encoding="utf-8")
    assert _on_disk()["server_api_key_in_keychain"] is True
    assert memory_keychain.passwords == {KEY: "sk-secret"}
    loaded = Settings.load()
    assert loaded.server_api_key == "sk-secret" and loaded.take_problems() == []

    loaded.server_api_key = "sk-new"
    loaded.save()
    assert memory_keychain.passwords == {KEY: "sk-new"}
    loaded.server_api_key = None  # cleared by the user: gone from the keychain too
    loaded.save()
    assert memory_keychain.passwords == {}
    assert Settings.load().server_api_key is None


def test_no_keychain_keeps_the_key_for_the_session_only() -> None:
    assert not keychain.available()
    assert "no keychain" in keychain.describe()
    settings = _server("sk-secret")
    settings.save()
    assert "sk-secret" not in paths.settings_path().read_text(encoding="utf-8")
    assert settings.server_api_key == "sk-secret"  # this session still has it
    assert Settings.load().server_api_key is None  # the next one does not


def test_plain_text_in_the_file_when_the_user_chooses_it(memory_keychain: MemoryKeyring) -> None:
    settings = _server("sk-secret")
    settings.save()
    assert memory_keychain.passwords == {KEY: "sk-secret"}
    settings.server_api_key_in_file = True  # the user ticked "store in settings file"
    settings.save()
    assert _on_disk()["server_api_key"] == "sk-secret"
    assert memory_keychain.passwords == {}  # one copy, where the user chose
    loaded = Settings.load()
    assert loaded.server_api_key == "sk-secret" and loaded.server_api_key_in_file


def test_plain_text_in_the_file_without_a_keychain() -> None:
    _server("sk-secret", server_api_key_in_file=True).save()
    assert _on_disk()["server_api_key"] == "sk-secret"
    assert Settings.load().server_api_key == "sk-secret"


def _version_1_with_key() -> None:
    path = paths.settings_path()
    paths.private_dir(path.parent)
    path.write_text(json.dumps({"schema_version": 1, "model_source": "server", "server_url": "http://127.0.0.1:8080/v1",
                                "server_api_key": "sk-old"}), encoding="utf-8")


def test_a_plain_key_moves_into_the_keychain(memory_keychain: MemoryKeyring) -> None:
    _version_1_with_key()
    settings = Settings.load()
    assert settings.take_problems() == []
    assert settings.server_api_key == "sk-old"
    assert memory_keychain.passwords == {KEY: "sk-old"}
    on_disk = paths.settings_path().read_text(encoding="utf-8")
    assert "sk-old" not in on_disk  # rewritten at once, not at the next save
    assert Settings.load().server_api_key == "sk-old"


def test_a_plain_key_stays_put_when_there_is_no_keychain() -> None:
    _version_1_with_key()
    settings = Settings.load()
    assert settings.server_api_key == "sk-old" and settings.server_api_key_in_file
    settings.save()
    assert _on_disk()["server_api_key"] == "sk-old"  # never lost


def test_a_keychain_that_lost_the_key_is_reported(memory_keychain: MemoryKeyring) -> None:
    _server("sk-secret").save()
    memory_keychain.passwords.clear()
    loaded = Settings.load()
    assert loaded.server_api_key is None
    [problem] = loaded.take_problems()
    assert "could not be read from the system keychain" in problem
