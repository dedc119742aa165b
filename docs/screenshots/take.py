"""Take the README's screenshots of the review window, light and dark, reproducibly.

Run under a real X server with a window manager, e.g.:
    Xvfb :99 -screen 0 1400x900x24 & openbox &
    DISPLAY=:99 .venv/bin/python docs/screenshots/take.py            # review.png
    DISPLAY=:99 .venv/bin/python docs/screenshots/take.py --dark     # review-dark.png
The model's answers are the tests' scripted engine (tests/fake_engine.py) running in the real
worker, so the picture shows sensible proposals and never changes between runs.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def dark_palette():  # type: ignore[no-untyped-def]
    from PySide6.QtGui import QColor, QPalette

    palette = QPalette()
    role = QPalette.ColorRole
    for name, colour in ((role.Window, "#2b2b2b"), (role.WindowText, "#e6e6e6"), (role.Base, "#1e1e1e"),
                         (role.AlternateBase, "#262626"), (role.Text, "#e6e6e6"), (role.Button, "#353535"),
                         (role.ButtonText, "#e6e6e6"), (role.Highlight, "#2d5a8a"),
                         (role.HighlightedText, "#ffffff"), (role.Link, "#7fb2ff"), (role.ToolTipBase, "#353535"),
                         (role.ToolTipText, "#e6e6e6"), (role.PlaceholderText, "#8a8a8a"), (role.Mid, "#444444"),
                         (role.Midlight, "#3a3a3a"), (role.Dark, "#1a1a1a"), (role.Light, "#505050")):
        palette.setColor(name, QColor(colour))
    return palette


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dark", action="store_true", help="a dark palette (Fusion style)")
    parser.add_argument("--out", type=Path, help="where to save (default: docs/screenshots/review[-dark].png)")
    args = parser.parse_args()
    out = args.out or REPO / "docs" / "screenshots" / ("review-dark.png" if args.dark else "review.png")
    home = Path(tempfile.mkdtemp(prefix="scallop-shot-"))
    os.environ["SCALLOP_CURATOR_HOME"] = str(home)
    os.environ["PYTHONPATH"] = os.pathsep.join([str(REPO / "tests"), os.environ.get("PYTHONPATH", "")])
    sys.path.insert(0, str(REPO / "tests"))  # the worker imports fake_engine

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from scallop_curator.domain.review import Status
    from scallop_curator.extraction.client import WorkerClient
    from scallop_curator.extraction.demo_model import demo_model_path
    from scallop_curator.importers import load_export
    from scallop_curator.settings import Settings
    from scallop_curator.store import Store
    from scallop_curator.ui.main_window import MainWindow

    app = QApplication(sys.argv[:1])
    app.setStyle("Fusion")
    if args.dark:
        app.setPalette(dark_palette())
    sample = REPO / "resources" / "sample" / "conversations.json"
    store = Store(home / "memories.db")
    store.import_file(load_export(sample), str(sample))
    window = MainWindow(store, Settings(model_path=str(demo_model_path())),
                        client=WorkerClient(engine_factory="fake_engine:make_engine"))
    window.resize(1280, 780)
    window.show()
    dutch = next(s for s in store.conversations() if s.title == "Dutch B1 study plan")
    window.select_conversation(dutch.id)

    def extracted(_status: str) -> None:
        window.accept_current()
        window.select_proposal(window.proposals.proposal(2).id)
        QTimer.singleShot(800, shoot)

    def shoot() -> None:
        window.grab().save(str(out))
        print(f"saved {out}")
        window.close()
        app.quit()

    window.controller.finished.connect(extracted)
    QTimer.singleShot(300, window.extraction.extract_all)
    QTimer.singleShot(120_000, app.quit)  # never hang
    app.exec()
    assert Status.ACCEPTED in {window.store.proposal(p.id).status for p in window.proposals._rows}
    return 0


if __name__ == "__main__":
    sys.exit(main())
