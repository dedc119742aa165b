"""Scallop Curator: review the memories a local model proposes from chat history."""

__version__ = "0.1.0"
