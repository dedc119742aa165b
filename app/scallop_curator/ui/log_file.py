"""The app's log: a rotating, owner-only file in the platform log folder. Set up right after the
window's first frame (``logging.handlers`` pulls in socket, pickle and queue: ~15 ms)."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path
from typing import Any

from scallop_curator import paths

LOG_MAX_BYTES = 2_000_000
LOG_BACKUPS = 3


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating log whose files (the current one and each new one after a rollover) are
    created 0600: the log names the user's files and conversations."""

    def _open(self) -> Any:
        return paths.open_private(self.baseFilename, self.mode, encoding=self.encoding)


def setup_logging() -> Path:
    """Log to ``scallop-curator.log`` in the platform log folder (rotated at 2 MB, 3 kept);
    calling it again reuses the handler already installed."""
    path = paths.log_path()
    root = logging.getLogger()
    for handler in root.handlers:
        if isinstance(handler, PrivateRotatingFileHandler) and handler.baseFilename == str(path.absolute()):
            return path
    paths.app_dir(path.parent)
    handler = PrivateRotatingFileHandler(path, maxBytes=LOG_MAX_BYTES, backupCount=LOG_BACKUPS, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    return path
