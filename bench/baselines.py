"""The two tutorial pipelines Folio is compared with, rebuilt with Folio's embedder so only the
pipeline differs: (a) LangChain's PDF tutorial (a document per page, RecursiveCharacterTextSplitter
1000/200 characters, Chroma, similarity search k=4); (b) the LlamaIndex starter (VectorStoreIndex
defaults: 1024-token sentence chunks with 200 overlap, top-k 2). Their chunk vectors are kept between runs
(bench.stores.cached_vectors); the chunks are cut again each run, so a changed PDF is embedded again."""

from __future__ import annotations

import io
import json
from pathlib import Path

import chromadb
from chromadb.config import Settings as ChromaSettings
from langchain_text_splitters import RecursiveCharacterTextSplitter
from pypdf import PdfReader

from bench.stores import cached_vectors
from rag.embed import Embedder, count_tokens
from rag.store import StoredChunk


def _pages(pdf_dir: Path) -> list[tuple[str, int, str]]:
    """(file name, 1-based page, raw pypdf text), as PyPDFLoader and SimpleDirectoryReader load them."""
    out = []
    for pdf in sorted(pdf_dir.glob("*.pdf")):
        reader = PdfReader(io.BytesIO(pdf.read_bytes()))
        out += [(pdf.name, n, page.extract_text() or "") for n, page in enumerate(reader.pages, start=1)]
    return out


class PageChunkIndex:
    """Chunks that each come from one page, in an in-memory Chroma collection, searched by similarity."""

    def __init__(self, name: str, chunks: list[tuple[str, int, str]], embedder: Embedder, k: int, library: str):
        self.name, self.k, self._embedder = name, k, embedder
        client = chromadb.EphemeralClient(settings=ChromaSettings(anonymized_telemetry=False))
        if name in {c.name for c in client.list_collections()}:  # one in-memory client per process: a rerun replaces
            client.delete_collection(name)
        self._collection = client.create_collection(
            name, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
        )
        texts = [text for _, _, text in chunks]
        vectors, self.cached = cached_vectors(f"{library}/{name}", texts, embedder)
        for start in range(0, len(chunks), 1000):
            part = chunks[start : start + 1000]
            self._collection.add(
                ids=[str(i) for i in range(start, start + len(part))],
                documents=[t for _, _, t in part],
                metadatas=[{"source": f, "page_start": p, "page_end": p} for f, p, _ in part],
                embeddings=vectors[start : start + len(part)],
            )
        self.chunks = len(chunks)

    def retrieve(self, question: str, k: int | None = None) -> list[StoredChunk]:
        """The pipeline's own top k, or the top `k`."""
        got = self._collection.query(query_embeddings=self._embedder.embed([question]), n_results=k or self.k)
        return [
            StoredChunk(id=i, text=t, metadata=m | {"page_breaks": json.dumps([[0, m["page_start"]]])})
            for i, t, m in zip(got["ids"][0], got["documents"][0], got["metadatas"][0], strict=False)
        ]


def langchain_tutorial(pdf_dir: Path, embedder: Embedder) -> PageChunkIndex:
    splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
    chunks = [(f, p, piece) for f, p, text in _pages(pdf_dir) for piece in splitter.split_text(text)]
    return PageChunkIndex("langchain-tutorial", chunks, embedder, k=4, library=pdf_dir.parent.name)


def llamaindex_starter(pdf_dir: Path, embedder: Embedder) -> PageChunkIndex:
    from llama_index.core.node_parser import SentenceSplitter  # 2 s to import: only for this pipeline

    # tokenizer given explicitly: llama-index's default (tiktoken) downloads its vocabulary at run time
    splitter = SentenceSplitter(chunk_size=1024, chunk_overlap=200, tokenizer=lambda t: [0] * count_tokens(t))
    chunks = [(f, p, piece) for f, p, text in _pages(pdf_dir) for piece in splitter.split_text(text)]
    return PageChunkIndex("llamaindex-starter", chunks, embedder, k=2, library=pdf_dir.parent.name)
