"""Chat completions against OpenAI or any OpenAI-compatible server, with errors made readable.

The `openai` client retries 429/5xx/connection errors with exponential backoff and honours
Retry-After; what is left after its retries becomes an `LLMError` with one line for the user.
"""

from __future__ import annotations

import copy
import queue
import threading
from collections.abc import Iterable, Iterator

import openai

from rag.config import Settings
from rag.errors import LLMError

# llama.cpp's server (llama-cpp-python) answers a streamed prompt longer than the model's context with 200 and an
# empty stream (measured; not streamed, it is a 400 "context_length_exceeded")
EMPTY_ANSWER = (
    "the LLM server sent back an empty answer: the question and its sources may exceed the model's context length"
)
MAX_ANSWER_CHARS = 20_000  # a runaway server (or a looping model) cannot flood the UI or the memory


class ChatModel:
    """A chat model behind the OpenAI wire protocol."""

    def __init__(self, settings: Settings, max_retries: int = 3):
        key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else ""
        self._secret = key
        self.model = settings.folio_llm_model
        self.base_url = settings.openai_base_url or "https://api.openai.com/v1"
        self.timeout = settings.folio_llm_timeout
        self._client = openai.OpenAI(
            api_key=key or "not-needed",  # local servers (Ollama, llama.cpp) accept any key
            base_url=self.base_url,
            timeout=self.timeout,
            max_retries=max_retries,
        )

    def stream(self, messages: list[dict]) -> Iterator[str]:
        """Yield the answer's text as it arrives; raise LLMError (after any text already yielded)."""
        try:
            stream = self._client.chat.completions.create(model=self.model, messages=messages, stream=True)
        except openai.OpenAIError as error:
            raise LLMError(self._describe(error)) from error
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
        try:
            return sorted(model.id for model in self._client.models.list())
        except openai.OpenAIError as error:
            raise LLMError(self._describe(error)) from error

    def with_model(self, model: str) -> ChatModel:
        """The same server and client, asking another model."""
        other = copy.copy(self)
        other.model = model
        return other

    def complete(self, messages: list[dict]) -> str:
        """The whole answer at once (used for short internal tasks such as condensing a question)."""
        return "".join(self.stream(messages))

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
            return f"cannot reach the LLM server at {self.base_url}: is it running? (OPENAI_BASE_URL)"
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
