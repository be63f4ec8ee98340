"""Citation markers: keep the [n] that name a real source, drop the others, even mid-stream."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

# [3], [1, 2], [ 99 ], and the full-width ［99］ and ［1，2］ that models writing CJK text produce
_MARKER = re.compile(r"[\[［]\s*(\d+(?:\s*[,，]\s*\d+)*)\s*[\]］]")
_OPEN, _CLOSE = "[［", "]］"
_MAX_MARKER = 16  # longer bracketed text is not a citation


def cited_numbers(text: str) -> list[int]:
    """Source numbers cited in `text`, in order of first citation."""
    seen: dict[int, None] = {}
    for match in _MARKER.finditer(text):
        for n in re.split(r"[,，]", match.group(1)):
            seen.setdefault(int(n), None)
    return list(seen)


def _rewrite(marker: str, valid: set[int]) -> str:
    match = _MARKER.fullmatch(marker)
    if not match:
        return marker
    kept = [str(int(n)) for n in re.split(r"[,，]", match.group(1)) if int(n) in valid]
    return f"[{', '.join(kept)}]" if kept else ""


def filter_citations(pieces: Iterable[str], valid: set[int]) -> Iterator[str]:
    """Pass streamed text through, holding back a possible marker until it closes."""
    held = ""
    for piece in pieces:
        out = ""
        for char in piece:
            if held:
                held += char
                if char in _CLOSE:
                    out, held = out + _rewrite(held, valid), ""
                elif len(held) > _MAX_MARKER or char in _OPEN:
                    out, held = out + held[:-1], held[-1] if char in _OPEN else ""
                    if char not in _OPEN:
                        out += char
            elif char in _OPEN:
                held = char
            else:
                out += char
        if out:
            yield out
    if held:
        yield held


def cited_sentences(answer_text: str, sources) -> dict[int, str]:
    """For each cited source, the sentence of it that best matches the answer text citing it."""
    from rag.extractive import terms

    best: dict[int, str] = {}
    by_number = {s.n: s for s in sources}
    for claim in re.split(r"(?<=[.!?\]])\s+(?!\[)|\n+", answer_text):
        wanted = set(terms(_MARKER.sub("", claim)))
        for n in cited_numbers(claim):
            if n in by_number and wanted:
                scored = [(len(wanted & set(terms(sentence))), sentence) for sentence, _ in by_number[n].sentences()]
                score, sentence = max(scored, default=(0, ""))
                if score and n not in best:
                    best[n] = sentence
    return best
