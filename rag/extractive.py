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

from rag.sentences import FIELD_LABEL
from rag.sources import Source

_WORD = re.compile(r"\w+")
_HAS_NUMBER = re.compile(r"\d")
NAMING_WEIGHT = 0.1  # share of its weight a question word keeps in a source whose context line holds it (measured)
LABEL_BONUS = 0.5  # a form field whose label the question names ("Which airport…" → "Airport: …") is the answer
MIN_QUOTE_WORDS = 4  # shorter lines (headings, labels) are quoted only when they hold a number


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


def _quotable(sentence: str) -> bool:
    """Four words or more, or a short line with a number (a table row such as "99% 1986")."""
    words = len(sentence.split())
    return words >= MIN_QUOTE_WORDS or (words >= 2 and bool(_HAS_NUMBER.search(sentence)))


def best_quotes(question: str, sources: Sequence[Source], count: int = 3) -> list[Quote]:
    """The `count` sentences that best answer `question`, best first; none if nothing matches.

    Question words that name a source's document (they are in its context line: "in the ovarian cancer trial")
    count for less in that source's sentences: they tell which document, not which sentence. A form field whose
    label the question names ("Which airport…?" → "Airport: Stovepipe Wells") is preferred.
    """
    wanted = set(terms(question))
    candidates = [(s, sentence, page) for s in sources for sentence, page in s.sentences() if _quotable(sentence)]
    if not wanted or not candidates:
        return []
    bags = [set(terms(sentence)) for _, sentence, _ in candidates]
    document_frequency = Counter(t for bag in bags for t in bag & wanted)
    idf = {t: math.log(1 + len(bags) / (1 + document_frequency[t])) for t in wanted}
    naming = {s.n: set(terms(s.context)) & wanted for s in sources}
    quotes = []
    for (source, sentence, page), bag in zip(candidates, bags, strict=False):
        weights = {t: idf[t] * (NAMING_WEIGHT if t in naming[source.n] else 1.0) for t in wanted}
        overlap = sum(weights[t] for t in bag & wanted) / sum(weights.values())
        if overlap > 0:
            label = FIELD_LABEL.match(sentence)
            asked = (
                bool(label) and set(terms(label.group(1))) <= wanted - naming[source.n] and bool(terms(label.group(1)))
            )
            quotes.append(Quote(sentence, source, page, overlap + (LABEL_BONUS if asked else 0.0) + 0.05 / source.n))
    quotes.sort(key=lambda q: q.score, reverse=True)
    return quotes[:count]
