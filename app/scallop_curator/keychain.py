"""The server API key in the platform keychain (macOS Keychain, Windows Credential Locker, the
Secret Service on Linux) through ``keyring``, so that settings.json never holds it in plain text.

Every call is best effort: a keychain that is missing, locked or broken is logged and reported
as "not stored", never raised, because a missing keychain must not stop the app."""

from __future__ import annotations

import logging

log = logging.getLogger("settings")

SERVICE = "scallop-curator"
ACCOUNT = "server-api-key"


def _backend():  # type: ignore[no-untyped-def]
    import keyring

    return keyring.get_keyring()


def available() -> bool:
    """True when keyring found a real keychain (not its ``fail`` or ``null`` stand-ins)."""
    try:
        from keyring.backends import chainer, fail, null

        backend = _backend()
    except Exception as error:  # noqa: BLE001 - a broken keyring install means "no keychain"
        log.warning("no keychain: %s", error)
        return False
    if isinstance(backend, (fail.Keyring, null.Keyring)):
        return False
    if isinstance(backend, chainer.ChainerBackend):
        return bool(backend.backends)
    return True


def describe() -> str:
    """Where a key goes, in words for the settings dialogs."""
    if not available():
        return "This system has no keychain"
    name = getattr(type(_backend()), "name", "") or type(_backend()).__name__
    return f"The system keychain ({name})"


def read() -> str | None:
    try:
        return _backend().get_password(SERVICE, ACCOUNT)
    except Exception as error:  # noqa: BLE001 - locked or broken keychain: ask for the key again
        log.warning("could not read the server key from the keychain: %s", error)
        return None


def store(key: str) -> bool:
    """Put ``key`` in the keychain; False when there is none or it refused."""
    if not available():
        return False
    try:
        _backend().set_password(SERVICE, ACCOUNT, key)
    except Exception as error:  # noqa: BLE001 - then the key is kept for this session only
        log.warning("could not store the server key in the keychain: %s", error)
        return False
    return True


def delete() -> bool:
    """Remove the key from the keychain; True when it is gone (or was never there)."""
    if not available():
        return False
    try:
        from keyring.errors import PasswordDeleteError

        try:
            _backend().delete_password(SERVICE, ACCOUNT)
        except PasswordDeleteError:
            pass  # not there
    except Exception as error:  # noqa: BLE001
        log.warning("could not remove the server key from the keychain: %s", error)
        return False
    return True
