"""Make a profile with ScallopBot's exact production prompt from the user's own copy of it.

The app ships no ScallopBot text. A user who runs ScallopBot has it twice: in the source
(``src/memory/fact-extractor.ts``, the template constant and the lines that fill it) and in their
``memories.db``, whose ``llm_traces`` rows hold the rendered prompts when full tracing was on.
Both are turned into a profile file (TOML, see ``profiles``) with the date, time, timezone,
previous reply and message as slots.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from pathlib import Path

from scallop_curator.extraction.profiles import PromptError, PromptProfile

TEMPLATE_NAME = "FACT_AND_TRIGGER_EXTRACTION_PROMPT"
_SLOT_NAMES = re.compile(r"\{(date|time|timezone|context|message|reply)\}")
_JS_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "`": "`", "$": "$", '"': '"', "'": "'", "0": "\0"}
CONTEXT_LABEL = "Context from previous messages:\n"
MESSAGE_LABEL = "User message:\n"


def make_profile(source: str | Path) -> PromptProfile:
    """A profile from a ScallopBot checkout (its folder, or ``fact-extractor.ts`` itself) or
    from a ScallopBot ``memories.db``."""
    path = Path(source)
    if path.is_dir():
        path = path / "src" / "memory" / "fact-extractor.ts"
    try:
        head = path.read_bytes()[:16]
    except OSError as error:
        raise PromptError(f"{source} cannot be read: {error.strerror or error}.") from error
    if head.startswith(b"SQLite format 3"):
        return from_traces(path)
    return from_source(path)


# ---------------------------------------------------------------- from fact-extractor.ts
def _js_string(body: str, where: Path) -> str:
    """A JavaScript string literal's text; a template literal with ``${...}`` keeps them, for the caller."""
    out: list[str] = []
    i = 0
    while i < len(body):
        char = body[i]
        if char == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            if nxt == "u" and body[i + 2:i + 6].isalnum():
                out.append(chr(int(body[i + 2:i + 6], 16)))
                i += 6
                continue
            if nxt not in _JS_ESCAPES:
                raise PromptError(f"{where}: an escape this reader does not know (\\{nxt}).")
            out.append(_JS_ESCAPES[nxt])
            i += 2
            continue
        out.append(char)
        i += 1
    return "".join(out)


def from_source(path: Path) -> PromptProfile:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise PromptError(f"{path} cannot be read: {error}.") from error
    constant = re.search(rf"{TEMPLATE_NAME}\s*=\s*`((?:[^`\\]|\\.)*)`", text, re.S)
    if constant is None:
        raise PromptError(f"{path} holds no {TEMPLATE_NAME} template: is it ScallopBot's src/memory/fact-extractor.ts?")
    template = _js_string(constant.group(1), path)
    if "${" in template or _SLOT_NAMES.search(template):
        raise PromptError(f"{path}: the {TEMPLATE_NAME} template has parts this reader cannot turn into slots.")
    for marker in ("{{CURRENT_DATE}}", "{{CURRENT_TIME}}"):
        if marker not in template:
            raise PromptError(f"{path}: the template has no {marker}.")
    user = template.replace("{{CURRENT_DATE}}", "{date}").replace("{{CURRENT_TIME}}", "{time}")
    # The first function that fills the template: `let prompt = TEMPLATE...replace(...) + '...';`
    # then `prompt += `...`;` statements up to the closing line.
    start = re.search(rf"let prompt = {TEMPLATE_NAME}[^;]*?\+\s*'((?:[^'\\]|\\.)*)'\s*;", text)
    if start is None:
        raise PromptError(f"{path}: the lines that fill the {TEMPLATE_NAME} template were not found.")
    user += _js_string(start.group(1), path)
    context_present = None
    for piece in re.finditer(r"prompt \+= `((?:[^`\\]|\\.)*)`\s*;", text[start.end():], re.S):
        literal = _js_string(piece.group(1), path)
        if _SLOT_NAMES.search(re.sub(r"\$\{\w+\}", "", literal)):
            raise PromptError(f"{path}: a line that fills the template already holds a slot name.")
        if "${context}" in literal:
            context_present = literal.replace("${context}", "{reply}")
            user += "{context}"
        else:
            user += literal.replace("${tz}", "{timezone}").replace("${message}", "{message}")
        if "${message}" in literal:
            break
    if context_present is None or "{message}" not in user:
        raise PromptError(f"{path}: the previous reply or the message never reaches the prompt in the lines read.")
    if "${" in user:
        raise PromptError(f"{path}: the prompt uses a value this reader does not know ({user[user.index('${'):][:20]}…).")
    return _profile(user, context_present, path)


# ---------------------------------------------------------------- from llm_traces rows
def from_traces(path: Path) -> PromptProfile:
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            rows = db.execute(
                "SELECT prompt FROM llm_traces WHERE purpose = 'fact_extract' ORDER BY ts DESC, id DESC"
            ).fetchall()
        finally:
            db.close()
    except sqlite3.Error as error:
        raise PromptError(f"{path} has no readable llm_traces table: {error}.") from error
    prompts: list[str] = []
    metadata_only = 0
    for (raw,) in rows:
        text = prompt_from_trace(raw)
        if text is None:
            metadata_only += 1
        elif "CURRENT DATE: " in text and MESSAGE_LABEL in text:
            prompts.append(text)
    if not prompts:
        why = (f"its {metadata_only} fact_extract rows keep no prompt text (ScallopBot keeps it only with "
               "LLM_TRACE_CONTENT_MODE=full)" if metadata_only else "it has no fact_extract rows")
        raise PromptError(f"{path}: no prompt can be made from llm_traces: {why}.")
    # Learn the context block from the newest prompt that has one; the rest from the newest.
    with_context = next((p for p in prompts if CONTEXT_LABEL in p), None)
    user = template_from_rendered(prompts[0], path)
    context_present = CONTEXT_LABEL + "{reply}\n\n"
    if with_context is not None:
        context_present = _context_block(with_context)
    return _profile(user, context_present, path)


def prompt_from_trace(raw: str) -> str | None:
    """The one user message of a trace's serialized request; None when only metadata was kept."""
    try:
        request = json.loads(raw)
    except ValueError:
        return raw  # an older row with the prompt as plain text
    if not isinstance(request, dict) or request.get("content_retained") is False:
        return None
    messages = request.get("messages") or []
    users = [m.get("content") for m in messages if isinstance(m, dict) and m.get("role") == "user"]
    if request.get("system") or len(users) != 1 or not isinstance(users[0], str):
        return None
    return users[0]


def _context_block(prompt: str) -> str:
    start = prompt.rindex(CONTEXT_LABEL, 0, prompt.rindex("\n" + MESSAGE_LABEL))
    end = prompt.rindex(MESSAGE_LABEL)
    return CONTEXT_LABEL + "{reply}" + _trailing_newlines(prompt[start:end])


def _trailing_newlines(text: str) -> str:
    return text[len(text.rstrip("\n")):]


def template_from_rendered(prompt: str, where: Path) -> str:
    """Put the slots back into one rendered prompt."""
    if _SLOT_NAMES.search(prompt):
        raise PromptError(f"{where}: a traced prompt already holds a slot name; it cannot be turned into a template.")
    message_at = prompt.rindex(MESSAGE_LABEL)
    closing_at = prompt.rfind("\n\n", message_at)
    if closing_at < 0:
        raise PromptError(f"{where}: the traced prompt has no closing line after the message.")
    head, tail = prompt[:message_at], prompt[closing_at:]
    context_at = head.rfind(CONTEXT_LABEL)
    if context_at >= 0:
        head = head[:context_at]
    head = re.sub(r"(CURRENT DATE: )[^\n]*", lambda m: m.group(1) + "{date}", head, count=1)
    head = re.sub(r"(CURRENT TIME: )[^\n]*", lambda m: m.group(1) + "{time}", head, count=1)
    # The line before the previous reply names the user's timezone (an IANA name, or UTC).
    body, _, last = head.rstrip("\n").rpartition("\n")
    zone = re.search(r"\b([A-Z][A-Za-z]+(?:/[A-Za-z0-9_+\-]+)+|UTC)\b", last)
    if zone is not None and "zone" in last.lower():
        head = body + "\n" + last.replace(zone.group(1), "{timezone}") + head[len(head.rstrip("\n")):]
    return head + "{context}" + MESSAGE_LABEL + "{message}" + tail


def _profile(user: str, context_present: str, source: Path) -> PromptProfile:
    answer = "facts+triggers" if "proactive_triggers" in user else "facts"
    digest = hashlib.sha256((user + "\0" + context_present).encode()).hexdigest()[:8]
    return PromptProfile(name="scallopbot-production", version=f"scallopbot-production-{digest}", user=user,
                         system=None, context_present=context_present, context_absent="", answer=answer,
                         path=source)
