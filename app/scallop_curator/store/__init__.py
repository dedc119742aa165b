"""The local SQLite store: imported conversations, extraction runs, proposals, decisions, memories."""

from scallop_curator.store.records import (
    ConversationSummary,
    ImportSummary,
    StoredProposal,
    StoredTurn,
    StoredTurnResult,
)
from scallop_curator.store.store import ImportCancelled, Store, StoreError

__all__ = [
    "ConversationSummary",
    "ImportCancelled",
    "ImportSummary",
    "Store",
    "StoreError",
    "StoredProposal",
    "StoredTurn",
    "StoredTurnResult",
]
