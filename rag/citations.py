"""Citation markers: keep the [n] that name a real source, drop the others, even mid-stream."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Protocol

from rag.terms import terms

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


def renumber(text: str, first_use: dict[int, int]) -> str:
    """Markers of `text` numbered by first use: `first_use` maps each source number seen so far to its new one
    and grows as new numbers appear (pass the same dict to number a stream consistently)."""
    return _MARKER.sub(lambda match: _rewrite(match.group(0), None, first_use), text)


_FOOTNOTE = str.maketrans("[［]］0123456789", "⁽⁽⁾⁾⁰¹²³⁴⁵⁶⁷⁸⁹")


def footnote_marks(text: str) -> str:
    """A document's own bracketed numbers ("[2]", Wikipedia's footnotes) as superscripts ("⁽²⁾"), so that they
    are never read as, or mistaken for, Folio's citations. Same length: page offsets into the text still hold."""
    return _MARKER.sub(lambda match: match.group(0).translate(_FOOTNOTE), text)


def _rewrite(marker: str, valid: set[int] | None, first_use: dict[int, int] | None = None) -> str:
    match = _MARKER.fullmatch(marker)
    if not match:
        return marker
    kept = [int(n) for n in re.split(r"[,，]", match.group(1)) if valid is None or int(n) in valid]
    if first_use is not None:
        kept = [first_use.setdefault(n, len(first_use) + 1) for n in kept]
    return f"[{', '.join(map(str, dict.fromkeys(kept)))}]" if kept else ""


def filter_citations(pieces: Iterable[str], valid: set[int], first_use: dict[int, int] | None = None) -> Iterator[str]:
    """Pass streamed text through, holding back a possible marker until it closes; markers naming no valid
    source are dropped, and with `first_use` the others are numbered by first use (see `renumber`)."""
    held = ""
    for piece in pieces:
        out = ""
        for char in piece:
            if held:
                held += char
                if char in _CLOSE:
                    out, held = out + _rewrite(held, valid, first_use), ""
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


class Numbered(Protocol):
    """A numbered source as `cited_sentences` reads it (rag.sources.Source, which uses this module's
    `footnote_marks`)."""

    @property
    def n(self) -> int: ...

    def sentences(self, headers: bool = True) -> list[tuple[str, int]]: ...


def cited_sentences(answer_text: str, sources: Sequence[Numbered]) -> dict[int, str]:
    """For each cited source, the sentence of it that best matches the answer text citing it (verbatim from the
    source's text, a table row without the header line it is quoted with)."""
    best: dict[int, str] = {}
    by_number = {s.n: s for s in sources}
    for claim in re.split(r"(?<=[.!?\]])\s+(?!\[)|\n+", answer_text):
        wanted = set(terms(_MARKER.sub("", claim)))
        for n in cited_numbers(claim):
            if n in by_number and wanted:
                quoted, verbatim = by_number[n].sentences(), by_number[n].sentences(headers=False)
                scored = [(len(wanted & set(terms(q))), v) for (q, _), (v, _) in zip(quoted, verbatim, strict=True)]
                score, sentence = max(scored, default=(0, ""))
                if score and n not in best:
                    best[n] = sentence
    return best
