"""Words as the offline answer compares them: lower-cased, stemmed (Snowball English), without stop words.

Quotes are chosen (rag.extractive) and cited sentences found (rag.citations) by these terms.
"""

from __future__ import annotations

import re
from functools import lru_cache

import Stemmer
from bm25s.stopwords import STOPWORDS_EN

_WORD = re.compile(r"\d+(?:[.,]\d+)+|\w+")  # "99.99" and "1,151" are one word: 99 is not 99.99


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


def terms(text: str) -> list[str]:
    """Lower-cased, stemmed words without stop words."""
    words = [w for w in _WORD.findall(text.lower()) if w not in STOPWORDS_EN]
    return _stemmer().stemWords(words)
