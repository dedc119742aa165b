"""Format modules are imported only when detection reaches them, and the lazy list is the full one."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import scallop_curator.importers as importers

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def test_a_chatgpt_export_loads_no_other_format_module():
    sample = FIXTURES / "samples" / "chatgpt" / "chatgpt-export.json"
    code = (
        "import sys\n"
        "from scallop_curator.importers import load_export\n"
        f"result = load_export({str(sample)!r})\n"
        "print(len(result.conversations))\n"
        "print(' '.join(sorted(m.rsplit('.', 1)[1] for m in sys.modules if m.startswith('scallop_curator.importers.'))))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    count, modules = done.stdout.splitlines()
    assert int(count) > 0
    assert modules.split() == ["base", "chatgpt", "json_stream"]


def test_every_format_is_listed_once_in_detection_order():
    listed = importers.IMPORTERS
    assert [type(i).__name__ for i in listed] == [cls for _, cls in importers.FORMATS]
    assert len({i.name for i in listed}) == len(listed)
    assert listed[0].name == "ChatGPT export" and listed[-1].name == "named-speaker transcript"


def test_signatures_name_real_formats():
    """The guesses for a broken file use the formats' own names (written out, so as not to load them)."""
    names = {i.name for i in importers.IMPORTERS}
    assert {name for _, name in importers.SIGNATURES} <= names
