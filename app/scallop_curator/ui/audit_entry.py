"""The main window's way into the audit view; imports it (and scipy) only when first opened."""

from __future__ import annotations

from typing import Any


def open_audit(window: Any) -> Any:
    from scallop_curator.ui.audit_view import open_audit as show

    return show(window, window.store)
