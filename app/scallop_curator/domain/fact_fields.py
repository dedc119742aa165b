"""A fact's field names, without pydantic: the store needs them on every open, the import included.

``facts.py`` checks at import that its ``Fact`` model has exactly these fields, in this order.
"""

from __future__ import annotations

#: A fact's fields in the model's order, and those a user can change besides the text (``content``).
FACT_FIELDS: tuple[str, ...] = ("content", "subject", "category", "confidence", "action", "old_value", "replaces")
EDITABLE_FIELDS: tuple[str, ...] = FACT_FIELDS[1:]
