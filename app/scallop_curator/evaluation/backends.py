"""What a model under test is, kept free of heavy imports: the command line loads it on every start."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:
    from scallop_curator.domain.results import TurnResult
    from scallop_curator.extraction.client import ModelSpec

DEFAULT_PROFILE = "default"
#: The ModelSpec field a prompt profile goes into, once extraction has one (first found wins).
PROFILE_FIELDS = ("profile", "prompt_profile")


class Client(Protocol):
    def load(self, spec: ModelSpec) -> None: ...
    def extract(self, spec: ModelSpec, cases: list[Any], on_result: Callable[[TurnResult], None]) -> None: ...
    def shutdown(self, timeout: float = 3.0) -> None: ...


@dataclass(frozen=True)
class Backend:
    """A model under test: a GGUF file run by the worker, or a model on a server."""

    kind: Literal["gguf", "server"]
    target: str
    server_model: str | None = None
    api_key: str | None = None

    @property
    def label(self) -> str:
        if self.kind == "gguf":
            return self.target.replace("\\", "/").rsplit("/", 1)[-1]
        return f"{self.server_model or 'first model'} @ {self.target}"
