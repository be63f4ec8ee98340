"""The offline answer: the retrieved sentences that best match the question, each cited.

Sentences are scored by the question's stemmed content words they contain, weighted by how rare
each word is among the candidate sentences (an IDF over the retrieved text), plus bonuses: for sentences
of better-ranked sources (retrieval already weighed the whole passage), for holding what the question
asks for (a percentage, a number, a year), and a little for being close to it in meaning (the embedder's
cosine). A further quote that repeats one already chosen is skipped.

No quote at all when no sentence answers: none is close in meaning to the question and none holds most of its
key terms ("What is the capital of Brazil?" over a text that names Brazil but no capital of it).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from rag.acronyms import acronyms, spelled_out
from rag.config import HISTORY_WEIGHT
from rag.periods import written_dates
from rag.sentences import FIELD_LABEL, ROW_HEADER_SEPARATOR
from rag.sources import Source
from rag.terms import terms

_HAS_NUMBER = re.compile(r"\d")
NAMING_WEIGHT = 0.1  # share of its weight a question word keeps in a source whose context line holds it (measured)
LABEL_SHARE = 0.6  # share of a field label's words the question must name ("engine model" → "Engine Model/Series")
LABEL_BONUS = 0.5  # a form field whose label the question names ("Which airport…" → "Airport: …") is the answer
MIN_QUOTE_WORDS = 4  # shorter lines (headings, labels) are quoted only when they hold a number
# Measured on real-docs (100 q) and squad-public (1,200 q), first quote on the gold page / answer holds gold:
# 0.74/0.67 and 0.781/0.802 with RANK_BONUS 0.05 and no TYPE_BONUS; 0.81/0.74 and 0.812/0.818 with these.
RANK_BONUS = 0.3  # a sentence of the best-ranked source gets this much, of the second half of it, and so on
TYPE_BONUS = 0.25  # a sentence holding what the question asks for: a percentage, a number, a year
SAME_FACT = 0.8  # share of shared words above which a further quote repeats one already chosen
# A question is answered only if some sentence is this close to it (cosine) or holds this share of its key terms
# (IDF-weighted; a term in the sentence's context line counts). With the 0.25 chunk gate, measured on all 2,921
# squad-public questions, real-docs and the 60 off-topic ones: answerable refused 1.8% / 0%, off-topic refused
# 85% / 92% (the gate alone at 0.30: 2.3% / 0%, 65% / 83%). docs/benchmarks.md.
SENTENCE_SIMILARITY = 0.42
KEY_TERM_SHARE = 0.6
# Weight of that cosine in a sentence's score: 0.1 raised squad-public's "answer holds gold" 0.818 → 0.832 and left
# real-docs unchanged; 0.2 and more raised squad further but lost real-docs' table rows and form fields.
SIMILARITY_WEIGHT = 0.1
# how ingest.readers name a unit by its kind and number rather than by what it is about ("slide 7", "sheet Q3, rows
# 12-31", "chapter 6: …", "line 122", "beginning")
UNIT_KIND = re.compile(r"\b(?:slide|rows?|lines?|chapter|part) [\d-]+|^sheet\b|^(?:beginning|image)$", re.I)
CLOSENESS_BATCH = 8  # sentences embedded at a time while looking for one close to the question
QUESTION_WORDS = "who whom whose what when where why which how"
BE = "is are was were"  # after a question word: the question asks for what follows ("Who is the investigator…")
DO = "do does did will would can could has have had should must may"  # after one: it asks for an object
AUXILIARIES = f"{BE} {DO} done shall might been being am be"
SentenceSimilarity = Callable[[str, Sequence[str]], Sequence[float]]  # (question, sentences) → cosine of each
Candidate = tuple[Source, str, int]  # a sentence that may be quoted: (its source, the sentence, its page)
_ASKS = [  # (question pattern, what a sentence that answers it holds)
    (re.compile(r"\b(percent(age)?|proportion)\b|%", re.I), re.compile(r"\d\s*(%|percent\b|per cent\b)", re.I)),
    (
        re.compile(r"\b(what|which|in what) (year|decade|century|date)\b|^when\b", re.I),
        re.compile(
            r"\b(1[0-9]{3}|20[0-9]{2})s?\b|\b(january|february|march|april|may|june|july|august|september|"
            r"october|november|december)\b|\bcentury\b",
            re.I,
        ),
    ),
    (
        re.compile(r"\bhow (many|much|long|far|old|large|big|tall|high|deep|wide)\b|\bnumber of\b", re.I),
        re.compile(
            r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|dozen|hundred|thousand|million|billion)\b", re.I
        ),
    ),
]


_ATTRIBUTES = [(re.compile(r"\bhow old\b", re.I), "age")]  # a question that names what it asks for only by its
# question word: "How old was the pilot?" is answered by "Age: 17" (when → date, where → location: no gain, measured)


@dataclass(frozen=True)
class Quote:
    text: str
    source: Source
    page: int
    score: float


def own_terms(question: str) -> list[str]:
    """The question's content words, without the question words and auxiliaries ("who", "how", "did"…)."""
    asking = set(terms(f"{QUESTION_WORDS} {AUXILIARIES}"))
    return [t for t in terms(question) if t not in asking]


def _words(words: str) -> str:
    return "|".join(words.split())


_WH = re.compile(rf"\b({_words(QUESTION_WORDS)})\b", re.I)
_PREPOSITIONS = (
    "of for in at on from during about by with to near after before between under comparing versus among within "
    "aboard into over per regarding"
)
# what ends the noun phrase after the question word: a preposition, a verb, a clause
_PHRASE_END = re.compile(rf"\b({_words(_PREPOSITIONS)}|that|which|who|{_words(BE)}|{_words(DO)}|be|been)\b", re.I)
_BE = re.compile(rf"^\s*({_words(BE)})\b", re.I)
_DO = re.compile(rf"^\s*({_words(DO)})\b", re.I)


def asked_terms(question: str) -> list[str]:
    """The words of what the question asks for: the phrase after its question word ("Who is the principal
    investigator of the … study?" → principal, investigator; "What grant number is given for …" → grant, number).
    None when a verb follows the question word ("What did the NTSB find …"). The rest of the question names where
    to look."""
    wh = _WH.search(question)
    rest = question[wh.end() :] if wh else question
    if _DO.match(rest):  # "What did the NTSB find …": what follows is who did it, not what is asked
        return []
    if be := _BE.match(rest):  # "Who is the principal investigator…": what is asked follows the "is"
        rest = rest[be.end() :]
    end = _PHRASE_END.search(rest)
    return own_terms(rest[: end.start()] if end else rest)


def _quotable(sentence: str) -> bool:
    """Four words or more, or a short line with a number (a table row such as "99% 1986")."""
    words = len(sentence.split())
    return words >= MIN_QUOTE_WORDS or (words >= 2 and bool(_HAS_NUMBER.search(sentence)))


def best_quotes(
    question: str,
    sources: Sequence[Source],
    context: str = "",
    count: int = 3,
    similarity: SentenceSimilarity | None = None,
) -> list[Quote]:
    """The `count` sentences that best answer `question`, best first; none if no sentence answers it (none close
    to it by `similarity`, none holding KEY_TERM_SHARE of its key terms; without `similarity`: none holding any of
    its words). Words of `context` (the conversation before a follow-up) that the question lacks count
    HISTORY_WEIGHT of a question word.

    Question words that name a source's document (they are in its context line: "in the ovarian cancer trial")
    count for less in that source's sentences: they tell which document, not which sentence (unless they are what
    the question asks for: "the principal investigator" on a cover page that names the study). A form field whose
    label the question names ("Which airport…?" → "Airport: Stovepipe Wells") is preferred.
    """
    own = {t: 1.0 for t in own_terms(question) or terms(question)}
    own |= {t: 1.0 for pattern, word in _ATTRIBUTES if pattern.search(question) for t in terms(word)}
    history = {t: HISTORY_WEIGHT for t in terms(context) if t not in own}
    share = own | history  # wanted word → its weight
    candidates = [(s, sentence, page) for s in sources for sentence, page in s.sentences() if _quotable(sentence)]
    if not share or not candidates:
        return []
    bags = [set(terms(sentence)) for _, sentence, _ in candidates]
    document_frequency = Counter(t for bag in bags for t in bag & share.keys())
    idf = {t: math.log(1 + len(bags) / (1 + document_frequency[t])) for t in share}
    spelled, dates = spelled_out(question), {day: terms(written) for _, written, day in written_dates(question)}
    bags = [
        bag | _unit_terms(source, page) | _written_otherwise(sentence, spelled, dates)
        for (source, sentence, page), bag in zip(candidates, bags, strict=True)
    ]
    asked = set(asked_terms(question))  # what is asked for counts in full, even where it also names the document
    naming = {s.n: (set(terms(s.context)) & share.keys()) - asked for s in sources}
    scores = _word_scores(question, candidates, bags, share, idf, naming)
    if similarity:
        closeness = _Closeness(similarity, f"{question} {context}".strip(), [c[1] for c in candidates])
        named = {s.n: set(terms(s.context)) for s in sources}  # every word of the context line, asked for or not
        if not _holds_key_terms(question, candidates, bags, idf, named):
            by_score = sorted(range(len(candidates)), key=lambda i: scores.get(i, 0.0), reverse=True)
            if not closeness.any_close(by_score):
                return []
        # closeness lifts a sentence by at most SIMILARITY_WEIGHT: only those near the top need it
        cutoff = _choose(candidates, scores, count)[-1][1] - SIMILARITY_WEIGHT if scores else 0.0
        near = [i for i, score in scores.items() if score >= cutoff]
        for i, cosine in zip(near, closeness.of(near), strict=True):
            scores[i] += SIMILARITY_WEIGHT * max(cosine, 0.0)
    return [
        Quote(candidates[i][1], candidates[i][0], candidates[i][2], score)
        for i, score in _choose(candidates, scores, count)
    ]


def _unit_terms(source: Source, page: int) -> set[str]:
    """The words of the heading of the unit a sentence is in (a section, a chapter, a sheet): they say what the
    sentence is about ("…when calling BZ2_bzCompressInit?" → "It should be a value between 1 and 9" under "§ 3.3.1.
    BZ2_bzCompressInit"). Section numbers and a unit's kind and number ("slide 7", "rows 12-31") are no heading."""
    return {t for t in terms(UNIT_KIND.sub(" ", source.unit_name(page))) if not t[:1].isdigit()}


def _written_otherwise(sentence: str, spelled: dict[str, list[str]], dates: dict[date, list[str]]) -> set[str]:
    """The question's words that `sentence` writes another way: as an acronym (`spelled`: "expanded security
    maintenance" → "eol-esm: 2028-04-26", rag.acronyms) or a date written otherwise (`dates`, the question's dates →
    the terms it writes them with: "6 July 2019" is held by "release: 2019-07-06", as tables write dates)."""
    held = {t for word in acronyms(sentence) & spelled.keys() for t in spelled[word]}
    if dates:
        held |= {t for _, _, day in written_dates(sentence) for t in dates.get(day, ())}
    return held


def _word_scores(
    question: str,
    candidates: Sequence[Candidate],
    bags: Sequence[set[str]],
    share: dict[str, float],
    idf: dict[str, float],
    naming: dict[int, set[str]],
) -> dict[int, float]:
    """Score of each candidate (by index) holding any wanted word: the share of the question's weighted words it
    holds, plus the bonuses for a named form field, the kind of answer asked for and the source's rank."""
    expected = [answer for asked, answer in _ASKS if asked.search(question)]
    scores: dict[int, float] = {}
    for i, ((source, sentence, _), bag) in enumerate(zip(candidates, bags, strict=True)):
        weights = {t: share[t] * idf[t] * (NAMING_WEIGHT if t in naming[source.n] else 1.0) for t in share}
        overlap = sum(weights[t] for t in bag & share.keys()) / sum(weights.values())
        if overlap > 0:
            label = FIELD_LABEL.match(sentence)
            label_terms = set(terms(label.group(1))) if label else set()
            named = label_terms & (share.keys() - naming[source.n])
            asked = bool(label_terms) and len(named) >= LABEL_SHARE * len(label_terms)
            typed = TYPE_BONUS if any(pattern.search(sentence) for pattern in expected) else 0.0
            scores[i] = overlap + (LABEL_BONUS if asked else 0.0) + typed + RANK_BONUS / source.n
    return scores


def _choose(candidates: Sequence[Candidate], scores: dict[int, float], count: int) -> list[tuple[int, float]]:
    """The `count` best-scored candidates (index, score), skipping one that repeats a fact already chosen."""
    chosen: list[tuple[int, float]] = []
    for i, score in sorted(scores.items(), key=lambda item: item[1], reverse=True):
        if len(chosen) == count:
            break
        if not any(_same_fact(candidates[i][1], candidates[j][1]) for j, _ in chosen):
            chosen.append((i, score))
    return chosen


class _Closeness:
    """Cosines of candidate sentences to the question, computed only for the sentences asked about (embedding
    all ~50 candidates of an answer takes 0.2-0.5 s on 2 cores; most answers need a handful)."""

    def __init__(self, similarity: SentenceSimilarity, question: str, sentences: list[str]):
        self.similarity, self.question, self.sentences = similarity, question, sentences
        self.known: dict[int, float] = {}

    def of(self, indices: Sequence[int]) -> list[float]:
        missing = [i for i in indices if i not in self.known]
        if missing:
            cosines = self.similarity(self.question, [self.sentences[i] for i in missing])
            self.known.update(zip(missing, map(float, cosines), strict=True))
        return [self.known[i] for i in indices]

    def any_close(self, order: Sequence[int]) -> bool:
        """Whether some sentence is within SENTENCE_SIMILARITY of the question; asked in `order`, a few at a time,
        stopping at the first close one."""
        return any(
            max(self.of(order[i : i + CLOSENESS_BATCH])) >= SENTENCE_SIMILARITY
            for i in range(0, len(order), CLOSENESS_BATCH)
        )


def _holds_key_terms(
    question: str,
    candidates: Sequence[Candidate],
    bags: Sequence[set[str]],
    idf: dict[str, float],
    named: dict[int, set[str]],
) -> bool:
    """Whether some candidate sentence holds KEY_TERM_SHARE of the question's key terms (its own content words,
    weighted by rarity; a word of the source's context line, `named`, counts: "Which Ubuntu version is called Noble
    Numbat?" is answered by a row of ubuntu-releases.csv that names Noble Numbat and not Ubuntu)."""
    key = set(own_terms(question)) or set(terms(question))
    total = sum(idf.get(t, 0.0) for t in key)
    if not total:  # the question's words are all from the conversation: nothing of its own to hold
        return True
    return any(
        sum(idf.get(t, 0.0) for t in key if t in bag or t in named[source.n]) >= KEY_TERM_SHARE * total
        for (source, _, _), bag in zip(candidates, bags, strict=True)
    )


def _same_fact(text: str, other: str) -> bool:
    """Two sentences that say the same (a repeated line, an overlapping chunk): most of their words shared. Two rows
    of a table are compared without their shared header line."""
    mine, theirs = (set(terms(t.rsplit(ROW_HEADER_SEPARATOR, 1)[-1])) for t in (text, other))
    return len(mine & theirs) >= SAME_FACT * max(1, min(len(mine), len(theirs)))
