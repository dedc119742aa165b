from pathlib import Path

# A LoCoMo-shaped two-person log written for this project (see tests/fixtures/samples/SOURCES.md).
LOCOMO = Path(__file__).resolve().parents[1] / "fixtures" / "samples" / "locomo" / "locomo-shaped-pair.json"
