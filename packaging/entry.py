"""Entry point of the packaged (PyInstaller) app: the same ``scallop-curator`` command.

``freeze_support`` lets the spawned inference worker start from the frozen executable.
"""

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()
    from scallop_curator.cli import main

    sys.exit(main())
