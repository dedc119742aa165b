"""The server backend: the same extraction, sent to an OpenAI-compatible chat-completions server
(llama.cpp's llama-server, Ollama, LM Studio, vLLM, llama-cpp-python's server).

``ServerClient`` has the public interface of ``WorkerClient`` (``load``, ``extract``, ``cancel``,
``shutdown``, ``alive``, ``loaded``) and raises the same exceptions, so the UI's extraction
controller and the CLI can drive either. Differences:

* ``ModelSpec.model_path`` is a model id the server lists (``GET /v1/models``), or empty for the
  first one it lists. ``ModelSpec.settings.n_ctx`` is taken as the server's context size when
  long turns are cut (by characters: the server's tokenizer is not ours to call).
* Up to ``concurrency`` turns are in flight at once; results still reach ``on_result`` in case
  order, each with its own ``latency_ms``.
* A server that stops answering (after bounded retries) raises ``ServerStopped``, an
  ``EngineError`` that says how many turns were done. Results already delivered stay delivered:
  resume with ``remaining_cases(cases, delivered_results)`` once the server is back.
"""

from __future__ import annotations

import asyncio
import logging
import random
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

import httpx

from scallop_curator.domain.conversation import ExtractionCase
from scallop_curator.domain.results import TurnResult
from scallop_curator.extraction.client import Cancelled, EngineError, ModelSpec
from scallop_curator.extraction.engine import CUT_MARK
from scallop_curator.extraction.grammar import answer_json_schema, max_answer_tokens
from scallop_curator.extraction.output import ParseFailure, parse_facts
from scallop_curator.extraction.prompt import PromptError, PromptProfile, load_prompt

log = logging.getLogger("engine")

CANCEL_POLL_S = 0.05
CHARS_PER_TOKEN = 3  # conservative for English chat text; cutting is rare and only needs to fit
RETRY_STATUS = {429, 500, 502, 503, 504}
REJECTED_STATUS = {400, 422}  # what servers answer to a response_format they do not know

# How the answer is constrained, most precise first. A server that rejects one level with 400/422
# is asked again with the next; the level that worked is remembered for the rest of the session.
FORMAT_LEVELS = ("json_schema", "json_object_schema", "json_object", "none")


class ServerError(EngineError):
    """The server cannot be used (unreachable, wrong key, not OpenAI-compatible), phrased for the user."""


class ServerStopped(ServerError):
    """The server stopped answering in the middle of a run. ``done`` turns were delivered."""

    def __init__(self, message: str, done: int, total: int) -> None:
        super().__init__(message)
        self.done = done
        self.total = total


class _Retryable(Exception):
    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class _Rejected(Exception):
    """400/422: the request itself was refused (often its response_format)."""


def normalize_url(url: str) -> str:
    """``localhost:8080``, ``http://host:8080/``, ``http://host:8080/v1`` all mean the same server."""
    url = url.strip()
    if "://" not in url:
        url = "http://" + url
    url = url.rstrip("/")
    if url.endswith("/v1"):
        url = url[: -len("/v1")]
    return url


def remaining_cases(cases: list[ExtractionCase], done: Iterable[TurnResult | tuple[str, int]]) -> list[ExtractionCase]:
    """The cases of a run not yet done, in order: resume after ``ServerStopped`` (or a crash)."""
    finished = {(d.conversation_id, d.turn_index) if isinstance(d, TurnResult) else tuple(d) for d in done}
    return [case for case in cases if (case.conversation_id, case.turn_index) not in finished]


def _error_text(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()[:200]
    if isinstance(body, dict):
        error = body.get("error", body.get("detail", body))
        if isinstance(error, dict):
            error = error.get("message", error)
        return str(error)[:300]
    return str(body)[:300]


class ServerClient:
    def __init__(self, base_url: str, api_key: str | None = None, concurrency: int = 1, *,
                 connect_timeout: float = 5.0, read_timeout: float = 600.0, retries: int = 3,
                 backoff: float = 0.5, transport: httpx.AsyncBaseTransport | None = None) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.base_url = normalize_url(base_url)
        self.api_key = api_key
        self.concurrency = concurrency
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.retries = retries
        self.backoff = backoff
        self._transport = transport
        self._cancel = threading.Event()
        self.loaded: ModelSpec | None = None
        self.model_id: str | None = None
        self.models: list[str] = []
        self.format_level = 0  # index into FORMAT_LEVELS
        self._prompt: PromptProfile | None = None

    # ------------------------------------------------------------ WorkerClient's interface
    @property
    def alive(self) -> bool:
        """True once a model was checked on the server and no run has found it gone since."""
        return self.loaded is not None

    @property
    def pid(self) -> int | None:
        return None

    def cancel(self) -> None:
        """Thread-safe. The running ``extract`` raises ``Cancelled`` within a second;
        requests in flight are abandoned."""
        self._cancel.set()

    def reset_cancel(self) -> None:
        self._cancel.clear()

    def kill(self) -> None:
        self.cancel()

    def shutdown(self, timeout: float = 3.0) -> None:
        self.cancel()
        self.loaded = None

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}

    def _timeout(self, read: float | None = None) -> httpx.Timeout:
        return httpx.Timeout(read or self.read_timeout, connect=self.connect_timeout)

    # ------------------------------------------------------------ load
    def load(self, spec: ModelSpec) -> None:
        """Check the server answers like an OpenAI-compatible one, and pick the model."""
        if self.loaded == spec:
            return
        try:
            self._prompt = load_prompt(spec.prompt_path)
        except PromptError as error:
            raise EngineError(str(error)) from error
        self.models = asyncio.run(self._list_models())
        wanted = (spec.model_path or "").strip()
        if not wanted:
            self.model_id = self.models[0]
        else:
            self.model_id = next((m for m in self.models if m == wanted), None) or next(
                (m for m in self.models if m.removesuffix(":latest") == wanted.removesuffix(":latest")), None)
            if self.model_id is None:
                raise ServerError(f"The server at {self.base_url} has no model {wanted!r}; "
                                  f"it serves: {', '.join(self.models)}.")
        self.loaded = spec

    async def _list_models(self) -> list[str]:
        url = f"{self.base_url}/v1/models"
        async with self._client(read=max(self.connect_timeout, 10.0)) as client:
            attempt = 0
            while True:
                try:
                    response = await client.get(url)
                    if response.status_code in RETRY_STATUS:
                        raise _Retryable(f"it answered {response.status_code}")
                    break
                except (httpx.TransportError, _Retryable) as error:
                    attempt += 1
                    if attempt > min(self.retries, 2):  # a wrong address must fail quickly
                        raise ServerError(self._unreachable(error)) from None
                    await asyncio.sleep(min(self.backoff, 0.25) * attempt)
        if response.status_code in (401, 403):
            raise ServerError(f"The server at {self.base_url} refused the request ({response.status_code}): "
                              + ("the API key is wrong." if self.api_key else "it needs an API key (--api-key)."))
        if response.status_code == 404:
            raise ServerError(f"{self.base_url} does not look like an OpenAI-compatible server "
                              "(it has no /v1/models).")
        if response.status_code != 200:
            raise ServerError(f"The server at {self.base_url} answered {response.status_code} to /v1/models: "
                              f"{_error_text(response)}")
        try:
            data = response.json()["data"]
            models = [str(item["id"]) for item in data]
        except (ValueError, KeyError, TypeError):
            raise ServerError(f"{self.base_url} does not look like an OpenAI-compatible server "
                              "(its /v1/models answer is not a model list).") from None
        if not models:
            raise ServerError(f"The server at {self.base_url} serves no models.")
        return models

    def _unreachable(self, error: Exception) -> str:
        if isinstance(error, httpx.ConnectTimeout):
            return f"The server at {self.base_url} did not answer within {self.connect_timeout:g} s."
        if isinstance(error, httpx.ConnectError):
            return f"Nothing answers at {self.base_url}: is the server running, and is the address right?"
        if isinstance(error, httpx.TimeoutException):
            return f"The server at {self.base_url} accepted the connection but did not answer."
        if isinstance(error, _Retryable):
            return f"The server at {self.base_url} is not ready ({error.reason})."
        return f"The server at {self.base_url} cannot be reached: {error}."

    def _client(self, read: float | None = None) -> httpx.AsyncClient:
        limits = httpx.Limits(max_connections=self.concurrency + 1, max_keepalive_connections=self.concurrency + 1)
        return httpx.AsyncClient(headers=self._headers(), timeout=self._timeout(read), limits=limits,
                                 transport=self._transport)

    # ------------------------------------------------------------ extract
    def extract(self, spec: ModelSpec, cases: list[ExtractionCase],
                on_result: Callable[[TurnResult], None]) -> None:
        """Run cases, up to ``concurrency`` at a time, calling ``on_result`` in case order.
        Raises Cancelled, ServerStopped (an EngineError) or ServerError."""
        self.load(spec)
        if cases:
            asyncio.run(self._run(cases, on_result))

    async def _run(self, cases: list[ExtractionCase], on_result: Callable[[TurnResult], None]) -> None:
        total = len(cases)
        ready: dict[int, TurnResult] = {}
        delivered = 0
        queue: asyncio.Queue[int] = asyncio.Queue()
        for index in range(total):
            queue.put_nowait(index)
        changed = asyncio.Event()
        failure: list[BaseException] = []

        async with self._client() as client:
            async def work() -> None:
                while not queue.empty():
                    index = queue.get_nowait()
                    try:
                        ready[index] = await self._turn(client, cases[index])
                    except asyncio.CancelledError:
                        raise
                    except BaseException as error:  # noqa: BLE001 - handed to the delivering loop
                        failure.append(error)
                    changed.set()
                    if failure:
                        return

            workers = [asyncio.create_task(work()) for _ in range(min(self.concurrency, total))]
            try:
                while delivered < total:
                    try:
                        await asyncio.wait_for(changed.wait(), CANCEL_POLL_S)
                    except asyncio.TimeoutError:
                        pass
                    changed.clear()
                    while delivered in ready:
                        on_result(ready.pop(delivered))
                        delivered += 1
                    if self._cancel.is_set():
                        self.reset_cancel()  # consumed: the next job starts clean
                        raise Cancelled()
                    if failure and delivered < total:
                        error = failure[0]
                        if isinstance(error, _Retryable):
                            self.loaded = None
                            raise ServerStopped(
                                f"The server at {self.base_url} stopped answering after {delivered} of {total} "
                                f"turns ({error.reason}). The {delivered} finished turns are kept; start the "
                                "server again and extract the remaining turns.", delivered, total)
                        raise error
            finally:
                for task in workers:
                    task.cancel()
                await asyncio.gather(*workers, return_exceptions=True)

    # ------------------------------------------------------------ one turn
    def _fit(self, case: ExtractionCase) -> tuple[str | None, str, bool]:
        """Cut long turns the way the local engine does, measured in characters."""
        assert self.loaded is not None and self._prompt is not None
        fixed = len(self._prompt.system or "") + len(self._prompt.user) + len(self._prompt.context_present) + 40
        budget = (self.loaded.settings.n_ctx - max_answer_tokens(self._prompt.answer) - 16) * CHARS_PER_TOKEN - fixed
        context, message = case.context, case.message
        cut_context = cut_message = False
        if context:
            context, cut_context = _cut(context, max(budget // 4, 100))
            budget -= len(context)
        message, cut_message = _cut(message, max(budget, 100))
        return context, message, cut_context or cut_message

    def _body(self, messages: list[dict[str, str]], level: int) -> dict[str, Any]:
        answer = self._prompt.answer if self._prompt is not None else "facts"
        schema = answer_json_schema(answer)
        body: dict[str, Any] = {
            "model": self.model_id,
            "messages": messages,
            "temperature": 0,
            "max_tokens": max_answer_tokens(answer),
            "stream": False,
            # llama-server and vLLM pass this to the chat template; others ignore it.
            "chat_template_kwargs": {"enable_thinking": False},
        }
        kind = FORMAT_LEVELS[level]
        if kind == "json_schema":
            body["response_format"] = {"type": "json_schema", "json_schema": {
                "name": "facts", "schema": schema, "strict": True}}
        elif kind == "json_object_schema":  # llama-cpp-python's server, Anyscale style
            body["response_format"] = {"type": "json_object", "schema": schema}
        elif kind == "json_object":
            body["response_format"] = {"type": "json_object"}
        return body

    async def _turn(self, client: httpx.AsyncClient, case: ExtractionCase) -> TurnResult:
        assert self._prompt is not None
        started = time.perf_counter()
        context, message, truncated = self._fit(case)
        messages = self._prompt.messages(context, message, case.time, case.timezone or "")
        result = TurnResult(conversation_id=case.conversation_id, turn_index=case.turn_index,
                            parse_ok=False, truncated=truncated)
        level = self.format_level
        while True:
            try:
                answer = await self._post(client, self._body(messages, level))
                break
            except _Rejected as rejected:
                if level + 1 < len(FORMAT_LEVELS):
                    level += 1
                    continue
                # Refused whatever the format: the turn itself is the problem (too long, say).
                result.error = f"the server refused this turn: {rejected}"
                result.latency_ms = round((time.perf_counter() - started) * 1000, 1)
                return result
        if level > self.format_level:
            log.info("%s: constrained output falls back to %s", self.base_url, FORMAT_LEVELS[level])
            self.format_level = level
        result.latency_ms = round((time.perf_counter() - started) * 1000, 1)
        try:
            choice = answer["choices"][0]
            raw = choice["message"].get("content") or ""
        except (KeyError, IndexError, TypeError, AttributeError):
            result.error = "the server's answer has no message"
            result.raw_output = str(answer)[:2000]
            return result
        result.raw_output = raw
        usage = answer.get("usage") or {}
        result.prompt_tokens = int(usage.get("prompt_tokens") or 0)
        timings = answer.get("timings") or {}  # llama-server: prompt_n = tokens actually evaluated
        result.evaluated_tokens = int(timings.get("prompt_n", result.prompt_tokens) or 0)
        try:
            result.facts = parse_facts(raw)
            result.parse_ok = True
        except ParseFailure as failure:
            result.error = str(failure)
            if choice.get("finish_reason") == "length":
                result.error += " (the answer hit max_tokens)"
        return result

    async def _post(self, client: httpx.AsyncClient, body: dict[str, Any]) -> dict[str, Any]:
        url = f"{self.base_url}/v1/chat/completions"
        attempt = 0
        while True:
            try:
                try:
                    response = await client.post(url, json=body)
                except httpx.TimeoutException as error:
                    raise _Retryable("no answer within the time limit") from error
                except httpx.TransportError as error:
                    raise _Retryable(_transport_reason(error)) from error
                if response.status_code in RETRY_STATUS and not _format_refused(response, body):
                    after = response.headers.get("retry-after")
                    raise _Retryable(f"it answered {response.status_code}: {_error_text(response)}",
                                     float(after) if after and after.replace(".", "", 1).isdigit() else None)
            except _Retryable as error:
                attempt += 1
                if attempt > self.retries:
                    raise
                delay = error.retry_after if error.retry_after is not None else self.backoff * 2 ** (attempt - 1)
                delay = min(delay, 30.0) * (1 + random.random() * 0.1)
                log.info("%s: %s; retry %d of %d in %.1f s", self.base_url, error.reason, attempt, self.retries, delay)
                await asyncio.sleep(delay)
                continue
            if response.status_code in REJECTED_STATUS or _format_refused(response, body):
                raise _Rejected(f"{response.status_code} {_error_text(response)}")
            if response.status_code in (401, 403):
                self.loaded = None
                raise ServerError(f"The server at {self.base_url} refused the request ({response.status_code}): "
                                  + ("the API key is wrong." if self.api_key else "it needs an API key (--api-key)."))
            if response.status_code == 404:
                raise ServerError(f"The server at {self.base_url} has no chat completions endpoint, "
                                  f"or no model {self.model_id!r} ({_error_text(response)}).")
            if response.status_code != 200:
                raise ServerError(f"The server at {self.base_url} answered {response.status_code}: "
                                  f"{_error_text(response)}")
            try:
                answer = response.json()
            except ValueError:
                raise ServerError(f"The server at {self.base_url} answered with something that is not JSON.") from None
            if not isinstance(answer, dict):
                raise ServerError(f"The server at {self.base_url} answered with something that is not a completion.")
            return answer


def _format_refused(response: httpx.Response, body: dict[str, Any]) -> bool:
    """llama-cpp-python's server answers 500, not 400, to a request body it fails to validate."""
    return (response.status_code >= 500 and "response_format" in body
            and "response_format" in response.text[:2000])


def _transport_reason(error: httpx.TransportError) -> str:
    if isinstance(error, httpx.ConnectError):
        return "connection refused"
    if isinstance(error, (httpx.RemoteProtocolError, httpx.ReadError)):
        return "the connection dropped"
    return type(error).__name__


def _cut(text: str, budget_chars: int) -> tuple[str, bool]:
    if len(text) <= budget_chars:
        return text, False
    keep = max(budget_chars - 40, 48)
    head, tail = text[: keep * 2 // 3], text[-(keep - keep * 2 // 3):]
    return head + CUT_MARK.format(n=f"{len(text) - len(head) - len(tail):,}") + tail, True
