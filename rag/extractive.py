"""The offline answer: the retrieved sentences that best match the question, each cited.

Sentences are scored by the question's stemmed content words they contain, weighted by how rare
each word is among the candidate sentences (an IDF over the retrieved text), plus a small bonus
for sentences from better-ranked sources.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from bm25s.stopwords import STOPWORDS_EN

from rag.sources import Source

_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Quote:
    text: str
    source: Source
    page: int
    score: float


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


def terms(text: str) -> list[str]:
    """Lower-cased, stemmed words without stop words."""
    words = [w for w in _WORD.findall(text.lower()) if w not in STOPWORDS_EN]
    return _stemmer().stemWords(words)


def best_quotes(question: str, sources: Sequence[Source], count: int = 3) -> list[Quote]:
    """The `count` sentences that best answer `question`, best first; none if nothing matches."""
    wanted = set(terms(question))
    candidates = [(s, sentence, page) for s in sources for sentence, page in s.sentences() if len(sentence) > 20]
    if not wanted or not candidates:
        return []
    bags = [set(terms(sentence)) for _, sentence, _ in candidates]
    document_frequency = Counter(t for bag in bags for t in bag & wanted)
    idf = {t: math.log(1 + len(bags) / (1 + document_frequency[t])) for t in wanted}
    quotes = []
    for (source, sentence, page), bag in zip(candidates, bags, strict=False):
        overlap = sum(idf[t] for t in bag & wanted) / sum(idf.values())
        if overlap > 0:
            quotes.append(Quote(sentence, source, page, overlap + 0.05 / source.n))
    quotes.sort(key=lambda q: q.score, reverse=True)
    return quotes[:count]
