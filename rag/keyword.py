"""The keyword (BM25) index, kept on disk beside the store: one segment of term counts per document version.

Why segments and not one bm25s index: bm25s bakes the corpus-wide statistics into every stored score, so adding
one document means indexing all of them again (measured at 100k chunks: 16 s to read the text back from Chroma,
8 s to tokenize, 6 s to index), and every new process used to pay that before its first answer. A segment holds
only its document's term counts; it is written once, when the document is stored, and the BM25 scores are
computed at question time over the segments of the documents searched. The tokenizer is bm25s's (stopwords
removed, English Snowball stems) and the scores are bm25s's defaults (Lucene variant, k1 1.5, b 0.75), so the
ranking is what the in-memory bm25s index gave.
"""

from __future__ import annotations

import bisect
import math
import os
import tempfile
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np

from rag.config import HISTORY_WEIGHT

K1, B = 1.5, 0.75
FORMAT = 1  # bump when a segment's layout changes: older segments are then rebuilt from the store
MAGIC = b"FOLIO-KW"
SUFFIX = ".bm25"


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


def tokens(texts: Sequence[str]) -> list[list[str]]:
    """bm25s's tokens of each text: lower-cased words of two or more characters, stopwords out, stemmed."""
    import bm25s

    found = bm25s.tokenize(list(texts), stopwords="en", stemmer=_stemmer(), return_ids=False, show_progress=False)
    return [[t for t in words if t] for words in found]


@dataclass(frozen=True)
class Segment:
    """The term counts of one document version's chunks, postings sorted by term."""

    ids: list[str]  # chunk ids, in chunk order
    lengths: np.ndarray  # tokens per chunk (int32)
    terms: list[str]  # sorted distinct terms
    starts: np.ndarray  # postings of terms[i] are rows/counts[starts[i]:starts[i + 1]] (int64)
    rows: np.ndarray  # chunk positions (int32)
    counts: np.ndarray  # how often the term occurs in that chunk (int32)

    @classmethod
    def of(cls, ids: Sequence[str], texts: Sequence[str]) -> Segment:
        per_chunk = [Counter(words) for words in tokens(texts)]
        postings = sorted((term, row, n) for row, counted in enumerate(per_chunk) for term, n in counted.items())
        terms = sorted({p[0] for p in postings})
        first = np.searchsorted(np.array([p[0] for p in postings], dtype=str), np.array(terms, dtype=str))
        return cls(
            ids=list(ids),
            lengths=np.array([sum(c.values()) for c in per_chunk], dtype=np.int32),
            terms=terms,
            starts=np.append(first.astype(np.int64), len(postings)) if terms else np.zeros(1, np.int64),
            rows=np.array([p[1] for p in postings], dtype=np.int32),
            counts=np.array([p[2] for p in postings], dtype=np.int32),
        )

    def to_bytes(self) -> bytes:
        """MAGIC, five int64 (format, chunks, terms, postings, text bytes), the four arrays, then the ids and
        terms as UTF-8 lines: one read and no parsing of headers (npz took 2 ms a segment, a third of the first
        question's time at 10k chunks)."""
        text = "\n".join([*self.ids, *self.terms]).encode()
        header = np.array([FORMAT, len(self.ids), len(self.terms), len(self.rows), len(text)], dtype=np.int64)
        arrays = (header, self.lengths, self.starts, self.rows, self.counts)
        return MAGIC + b"".join(a.tobytes() for a in arrays) + text

    @classmethod
    def from_bytes(cls, data: bytes) -> Segment | None:
        """The segment in `data`; None when it is of another format or cut short."""
        if not data.startswith(MAGIC) or len(data) < len(MAGIC) + 40:
            return None
        version, chunks, terms, postings, text = (int(n) for n in np.frombuffer(data, np.int64, 5, len(MAGIC)))
        at = len(MAGIC) + 40
        sizes = [(np.int32, chunks), (np.int64, terms + 1), (np.int32, postings), (np.int32, postings)]
        if version != FORMAT or len(data) != at + sum(np.dtype(t).itemsize * n for t, n in sizes) + text:
            return None
        arrays = []
        for kind, n in sizes:
            arrays.append(np.frombuffer(data, kind, n, at))
            at += np.dtype(kind).itemsize * n
        words = data[at:].decode().split("\n") if text else []
        if len(words) != chunks + terms:
            return None
        lengths, starts, rows, counts = arrays
        return cls(words[:chunks], lengths, words[chunks:], starts, rows, counts)

    @cached_property
    def total_length(self) -> int:
        return int(self.lengths.sum())

    def postings(self, terms: Sequence[str]) -> list[tuple[np.ndarray, np.ndarray]]:
        """For each term, (chunk positions, counts) of the chunks holding it."""
        out = []
        for term in terms:
            i = bisect.bisect_left(self.terms, term)
            if i == len(self.terms) or self.terms[i] != term:
                out.append((self.rows[:0], self.counts[:0]))
            else:
                span = slice(self.starts[i], self.starts[i + 1])
                out.append((self.rows[span], self.counts[span]))
        return out


class KeywordIndex:
    """Segments in `folder` (one `<version>.bm25` file per document version), cached in memory once read."""

    def __init__(self, folder: Path):
        self.folder = folder
        self._loaded: dict[str, Segment] = {}

    def add(self, version: str, ids: Sequence[str], texts: Sequence[str]) -> None:
        """Write the segment of a document version (atomically: a reader sees all of it or none)."""
        segment = Segment.of(ids, texts)
        self.folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
        with os.fdopen(handle, "wb") as out:
            out.write(segment.to_bytes())
        os.replace(temporary, self._path(version))
        self._loaded[version] = segment

    def drop(self, versions: Sequence[str]) -> None:
        """Forget these document versions (deleted or replaced)."""
        for version in versions:
            self._loaded.pop(version, None)
            self._path(version).unlink(missing_ok=True)

    def prune(self, live: set[str]) -> None:
        """Delete the segments of document versions no longer stored."""
        for path in self.folder.glob(f"*{SUFFIX}"):
            if path.stem not in live:
                self._loaded.pop(path.stem, None)
                path.unlink(missing_ok=True)

    def search(
        self,
        question: str,
        versions: Sequence[str],
        k: int,
        texts_of: Callable[[str], tuple[list[str], list[str]]],
        context: str = "",
    ) -> list[tuple[str, float]]:
        """(chunk id, BM25 score) of the k best chunks of these document versions that share a term with the
        question or `context` (whose terms count HISTORY_WEIGHT each); `texts_of(version)` gives (ids, indexed
        texts) to build a segment this folder lacks (a store written before the index existed, or by another
        machine of a Chroma server)."""
        segments = [self._segment(v, texts_of) for v in versions]
        n = sum(len(s.ids) for s in segments)
        if not n:
            return []
        average = sum(s.total_length for s in segments) / n or 1.0
        own, earlier = tokens([question, context])
        wanted: dict[str, float] = dict(Counter(own))  # term → times in the question + HISTORY_WEIGHT per use earlier
        for term in earlier:
            wanted[term] = wanted.get(term, 0) + HISTORY_WEIGHT
        found = [s.postings(list(wanted)) for s in segments]
        frequency = [sum(len(per_segment[i][0]) for per_segment in found) for i in range(len(wanted))]
        weights = [
            times * math.log(1 + (n - df + 0.5) / (df + 0.5))
            for times, df in zip(wanted.values(), frequency, strict=True)
        ]
        scored = []
        for segment, postings in zip(segments, found, strict=True):
            scores = np.zeros(len(segment.ids))
            if not any(len(rows) for rows, _ in postings):
                scored.append(scores)
                continue
            norm = K1 * ((1 - B) + B * segment.lengths / average)
            for weight, (rows, counts) in zip(weights, postings, strict=True):
                scores[rows] += weight * counts / (norm[rows] + counts)
            scored.append(scores)
        scores = np.concatenate(scored)
        best = np.argsort(-scores, kind="stable")[:k]
        ids = [chunk_id for s in segments for chunk_id in s.ids]
        return [(ids[i], float(scores[i])) for i in best if scores[i] > 0]

    def _segment(self, version: str, texts_of: Callable[[str], tuple[list[str], list[str]]]) -> Segment:
        segment = self._loaded.get(version)
        if segment is None:
            segment = self._read(version)
            if segment is None:
                self.add(version, *texts_of(version))
                segment = self._loaded[version]
            self._loaded[version] = segment
        return segment

    def _read(self, version: str) -> Segment | None:
        try:
            return Segment.from_bytes(self._path(version).read_bytes())
        except (OSError, UnicodeDecodeError):  # absent or damaged: rebuilt from the store
            return None

    def _path(self, version: str) -> Path:
        return self.folder / f"{version}{SUFFIX}"
