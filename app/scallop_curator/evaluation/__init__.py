"""Measuring models against reference facts, and adjudicating where they disagree (no Qt here)."""
