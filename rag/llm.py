"""Chat completions against OpenAI or any OpenAI-compatible server, with errors made readable.

The `openai` client retries 429/5xx/connection errors with exponential backoff and honours
Retry-After; what is left after its retries becomes an `LLMError` with one line for the user.
"""

from __future__ import annotations

import copy
import queue
import re
import threading
import time
from collections.abc import Iterable, Iterator
from typing import cast

import openai
from openai.types.chat import ChatCompletionMessageParam

from rag.config import Settings
from rag.errors import LLMError, LLMUnreachable

# llama.cpp's server (llama-cpp-python) answers a streamed prompt longer than the model's context with 200 and an
# empty stream (measured; not streamed, it is a 400 "context_length_exceeded")
EMPTY_ANSWER = (
    "the LLM server sent back an empty answer: the question and its sources may exceed the model's context length"
)
MAX_ANSWER_CHARS = 20_000  # a runaway server (or a looping model) cannot flood the UI or the memory
DOWN_SECONDS = 60.0  # after a server could not be reached, it is not asked again for this long (answers go offline)
CONNECT_SECONDS = 5.0  # a server that does not accept the connection by then is taken as down (a slow model is not)


class _Reachability:
    """When the server was last found unreachable: shared by a ChatModel and its copies for other models."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.down_until = 0.0


class ChatModel:
    """A chat model behind the OpenAI wire protocol."""

    def __init__(self, settings: Settings, max_retries: int = 3, down_seconds: float = DOWN_SECONDS):
        key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else ""
        self._secret = key
        self.model = settings.folio_llm_model
        self.base_url = settings.openai_base_url or "https://api.openai.com/v1"
        self.timeout = settings.folio_llm_timeout
        self._client = openai.OpenAI(
            api_key=key or "not-needed",  # local servers (Ollama, llama.cpp) accept any key
            base_url=self.base_url,
            timeout=openai.Timeout(self.timeout, connect=min(self.timeout, CONNECT_SECONDS)),
            max_retries=max_retries,
        )
        self._reachability = _Reachability(down_seconds)

    @property
    def shown_url(self) -> str:
        """The server's address for messages, without credentials written into it (https://user:secret@host)."""
        return re.sub(r"//[^/@\s]*@", "//", self.base_url)

    @property
    def reachable(self) -> bool:
        """False for DOWN_SECONDS after the server could not be reached (refused, or no connection in time)."""
        return time.monotonic() >= self._reachability.down_until

    def stream(self, messages: list[dict[str, str]]) -> Iterator[str]:
        """Yield the answer's text as it arrives; raise LLMError (after any text already yielded)."""
        self._check_reachable()
        try:
            sent = cast(list[ChatCompletionMessageParam], messages)  # role and content: what every message here has
            stream = self._client.chat.completions.create(model=self.model, messages=sent, stream=True)
        except openai.OpenAIError as error:
            raise self._failed(error) from error
        received = 0
        try:
            for event in _with_idle_limit(stream, self.timeout):
                if event.choices and event.choices[0].delta and event.choices[0].delta.content:
                    text = event.choices[0].delta.content
                    received += len(text)
                    yield text
                    if received >= MAX_ANSWER_CHARS:
                        raise LLMError(f"the answer was cut off: it passed {MAX_ANSWER_CHARS:,} characters")
            if not received:
                raise LLMError(EMPTY_ANSWER)
        except _Idle:
            raise LLMError(
                f"the LLM server sent nothing for {self.timeout:g} s (FOLIO_LLM_TIMEOUT): the answer was stopped"
            ) from None
        except LLMError:
            raise
        except Exception as error:  # httpx read errors, bad SSE, invalid JSON: the stream broke
            raise LLMError(
                f"the answer was cut off: the connection to the LLM server broke ({type(error).__name__})"
            ) from error
        finally:
            stream.close()

    def models(self) -> list[str]:
        """The models the server offers (GET /models), sorted; LLMError when it cannot say."""
        self._check_reachable()
        try:
            return sorted(model.id for model in self._client.models.list())
        except openai.OpenAIError as error:
            raise self._failed(error) from error

    def with_model(self, model: str) -> ChatModel:
        """The same server and client, asking another model."""
        other = copy.copy(self)
        other.model = model
        return other

    def complete(self, messages: list[dict[str, str]]) -> str:
        """The whole answer at once (used for short internal tasks such as condensing a question)."""
        return "".join(self.stream(messages))

    def _check_reachable(self) -> None:
        if not self.reachable:
            raise LLMUnreachable(
                f"the LLM server at {self.shown_url} could not be reached a moment ago "
                f"(it is asked again {self._reachability.seconds:g} s after that)"
            )

    def _failed(self, error: openai.OpenAIError) -> LLMError:
        """The LLMError for `error`; a server that could not be reached is remembered as down for a while."""
        if isinstance(error, openai.APIConnectionError):  # refused, reset, DNS, or a timeout (a subclass)
            self._reachability.down_until = time.monotonic() + self._reachability.seconds
            return LLMUnreachable(self._describe(error))
        return LLMError(self._describe(error))

    def _describe(self, error: openai.OpenAIError) -> str:
        if isinstance(error, openai.AuthenticationError):
            return "the LLM server rejected the API key (401): check OPENAI_API_KEY"
        if isinstance(error, openai.PermissionDeniedError):
            return "the API key may not use this model (403): check OPENAI_API_KEY and FOLIO_LLM_MODEL"
        if isinstance(error, openai.NotFoundError):
            return f"the LLM server has no model '{self.model}' (404): check FOLIO_LLM_MODEL and OPENAI_BASE_URL"
        if isinstance(error, openai.RateLimitError):
            return "the LLM server is rate limiting requests (429), even after retries: wait a minute and ask again"
        if isinstance(error, openai.APITimeoutError):
            return f"the LLM server did not answer within {self.timeout:g} s (FOLIO_LLM_TIMEOUT)"
        if isinstance(error, openai.APIConnectionError):
            return f"cannot reach the LLM server at {self.shown_url}: is it running? (OPENAI_BASE_URL)"
        if isinstance(error, openai.BadRequestError) and "context" in str(error).lower():
            return "the question and its sources are too long for the model's context window: lower FOLIO_TOP_K"
        if isinstance(error, openai.APIStatusError):
            return f"the LLM server failed with HTTP {error.status_code}: {self._scrub(_message(error))}"
        return f"the LLM request failed: {self._scrub(str(error))}"

    def _scrub(self, text: str) -> str:
        return text.replace(self._secret, "***") if self._secret else text


def _message(error: openai.APIStatusError) -> str:
    body = error.body if isinstance(error.body, dict) else {}
    detail = body.get("error", body) if isinstance(body.get("error", body), dict) else {}
    return str(detail.get("message") or error.message)[:200]


class _Idle(Exception):
    """No event arrived from the stream within the idle limit."""


_END = object()


def _with_idle_limit(events: Iterable, seconds: float) -> Iterator:
    """`events`, read in a helper thread; raises _Idle when none arrives for `seconds`.

    The socket's read timeout cannot catch a server that sends only SSE keep-alive comments: every comment
    resets it, and the client hides comments from the caller. So the wait for the next event has its own limit.
    """
    arrived: queue.Queue = queue.Queue()

    def pump() -> None:
        try:
            for event in events:
                arrived.put((event, None))
        except BaseException as error:  # handed to the caller, raised there
            arrived.put((_END, error))
        else:
            arrived.put((_END, None))

    threading.Thread(target=pump, daemon=True, name="llm-stream").start()
    while True:
        try:
            event, error = arrived.get(timeout=seconds)
        except queue.Empty:
            raise _Idle from None
        if event is _END:
            if error:
                raise error
            return
        yield event
