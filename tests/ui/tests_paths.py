from pathlib import Path

LOCOMO = Path(__file__).resolve().parents[3] / "shared" / "data" / "exports" / "locomo" / "locomo10_conv-26_only.json"
