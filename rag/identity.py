"""What a document is (organisation, kind, period) and which documents a question names.

A library of look-alike documents (one company's reports for several quarters, versions of a contract) has the
same tables and sentences in every file: only the period and the figures differ, so passage retrieval alone finds
the right company and then the wrong quarter. Ingest works out each document's identity once (ingest.identity);
here a question that names an organisation, a period, "the most recent" one or a kind of document is matched
against those identities, and retrieval searches the best-matching documents first (rag.retrieve). A question
that names none of them is searched as before.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date

from rag.periods import Period, PeriodRef, asked_period, period_match

NEAR_BEST = 0.35  # a document this close to the best match is searched with it (FY2022: the 10-K and the Q4 release)
IDENTITY_VERSION = 1  # bump when extraction changes: stored identities are worked out again (no re-embedding)
# words that do not tell one organisation from another ("Best Buy Co., Inc." is named by "Best Buy")
LEGAL_WORDS = {
    "inc", "co", "corp", "corporation", "company", "companies", "ltd", "limited", "plc", "llc", "lp", "sa", "ag",
    "nv", "the", "and", "of", "group", "holdings", "international", "communications", "incorporated", "de",
}  # fmt: skip
KIND_WORDS = {
    "10-K annual report": ("10-k", "10k", "annual report", "annual filing"),
    "10-Q quarterly report": ("10-q", "10q", "quarterly report", "quarterly filing"),
    "8-K current report": ("8-k", "8k", "current report"),
    "earnings release": ("earnings release", "earnings report", "press release", "earnings call", "results release"),
}


@dataclass(frozen=True)
class DocumentIdentity:
    """What a document is, as worked out from its cover page, metadata and name. Empty fields are unknown."""

    organisation: str = ""
    aliases: tuple[str, ...] = ()  # other names of the organisation: ticker symbols, short names
    kind: str = ""  # "10-Q quarterly report", "earnings release", "clinical trial protocol", …
    period: Period | None = None
    version: int = IDENTITY_VERSION

    @property
    def label(self) -> str:
        """What a citation names: "JPMorgan Chase & Co. 10-Q, Q2 fiscal 2022 (quarter ended June 30, 2022)"."""
        form = re.match(r"\d+-[A-Z]\b", self.kind)  # an SEC form says what it is: "10-Q quarterly report" → "10-Q"
        what = " ".join(part for part in (self.organisation, form.group() if form else self.kind) if part)
        return ", ".join(part for part in (what, self.period and self.period.label) if part)

    def to_json(self) -> str:
        return json.dumps(asdict(self), default=str)

    @staticmethod
    def from_json(text: str) -> DocumentIdentity | None:
        """The identity stored as `text`; None when there is none or it was stored by an older extractor."""
        return _parsed(text)


@functools.lru_cache(maxsize=4096)  # read at every question, from the registry's records
def _parsed(text: str) -> DocumentIdentity | None:
    try:
        raw = json.loads(text) if text else None
    except ValueError:
        return None
    if not isinstance(raw, dict) or raw.get("version") != IDENTITY_VERSION:
        return None
    period = raw.get("period")
    if period:
        period = Period(period["span"], date.fromisoformat(period["end"]), period["fiscal_year"],
                        period.get("fiscal_quarter", 0))  # fmt: skip
    return DocumentIdentity(raw.get("organisation", ""), tuple(raw.get("aliases", ())), raw.get("kind", ""), period)


def name_words(text: str) -> list[str]:
    """Lower-case words of a name or question, possessives dropped, '&' kept as a word ("J&J's" → j, &, j)."""
    text = re.sub(r"['’]s\b", "", text.lower())
    return re.findall(r"[a-z0-9]+(?:-[a-z0-9]+)*|&", text)


@dataclass(frozen=True)
class OrganisationName:
    """One way a question can name an organisation: `words` as a phrase, or, when `capitalised`, one word written
    with a capital in the question (a short name that is also a common word: "Best", "Chase")."""

    words: tuple[str, ...]
    capitalised: bool = False


@functools.lru_cache(maxsize=4096)  # every document's names, at every question
def organisation_names(identity: DocumentIdentity) -> tuple[OrganisationName, ...]:
    """The names of the document's organisation: its name without legal words ("best buy"), its first word
    written with a capital ("JPMorgan", "Pepsi" for PepsiCo, "JPM" as a start of it), the initials of a name of
    two words or more ("J&J", "JnJ"), and its aliases (ticker symbols, in capitals)."""
    core = [w for w in name_words(identity.organisation) if w not in LEGAL_WORDS and w != "&"]
    names = []
    if core:
        names.append(OrganisationName(tuple(core)))
        if len(core) == 1 or _distinctive(identity.organisation.split()[0]):
            names.append(OrganisationName((core[0],), capitalised=True))
        if len(core) >= 2:
            initials = "".join(w[0] for w in core)
            names += [OrganisationName((initials,), capitalised=True), OrganisationName(("n".join(initials),))]
            names.append(OrganisationName(tuple("&".join(initials))))
    names += [OrganisationName(tuple(name_words(a)), capitalised=True) for a in identity.aliases if name_words(a)]
    return tuple(names)


def _distinctive(word: str) -> bool:
    """A first word that names the organisation on its own: "JPMorgan", "3M", "MGM", not "American" or "Best"."""
    letters = re.sub(r"[^\w]", "", word)
    return bool(re.search(r"\d|.[A-Z]", letters)) or (letters.isupper() and len(letters) <= 5)


def _names_in(question: str, words: Sequence[str], name: OrganisationName) -> bool:
    """Whether the question names the organisation by `name` (a word of three letters or more written with a
    capital also names it by being the start of a one-word name: "JPM" for JPMorgan, "Pepsi" for PepsiCo)."""
    if not name.capitalised:
        if "&" not in name.words:  # "Johnson & Johnson" is named "Johnson and Johnson" too
            words = [w for w in words if w not in ("&", "and")]
        joined, phrase = f" {' '.join(words)} ", f" {' '.join(name.words)} "
        return phrase in joined
    tokens = re.findall(r"\b[A-Z0-9][\w&]*", re.sub(r"['’]s\b", "", question))
    target = name.words[0]
    return len(name.words) == 1 and any(t.lower() == target or _short_form(t, target) for t in tokens)


def _short_form(token: str, name: str) -> bool:
    """ "Pepsi" for "pepsico", "JPM" for "jpmorgan": the start of the name, long enough not to be chance."""
    word = token.lower()
    return name.startswith(word) and len(word) >= 3 and (token.isupper() or len(word) >= 0.6 * len(name))


@dataclass(frozen=True)
class Scope:
    """The documents a question names, best first: `sources` are those that match best (searched first); empty
    when the question names nothing that tells documents apart."""

    sources: tuple[str, ...] = ()


def question_scope(question: str, identities: dict[str, DocumentIdentity]) -> Scope:
    """The documents (by source name) whose identity the question names best.

    A document scores 1 for its organisation when the question names it (0 when the question names another one),
    up to 1 for its period (rag.periods.period_match; "most recent" picks the latest period among the documents
    still in the running), and 0.5 for its kind ("10-K", "earnings release"). The scope is the documents with the
    top score or within NEAR_BEST of it, when the question names something and that top is not shared by every
    document.
    """
    if not identities:
        return Scope()
    words = name_words(question)
    lowered = question.lower()
    named_orgs = {
        source
        for source, identity in identities.items()
        if any(_names_in(question, words, name) for name in organisation_names(identity))
    }
    scores = {source: 1.0 if source in named_orgs else 0.0 for source in identities}
    kinds = {kind for kind, cues in KIND_WORDS.items() if any(cue in lowered for cue in cues)}
    if kinds:
        for source, identity in identities.items():
            scores[source] += 0.5 * (identity.kind in kinds)
    ref = asked_period(question)
    if ref is not None and (named_orgs or ref.kind != "year"):  # a bare year alone is too weak ("rates in 2005")
        _score_periods(ref, identities, scores)
    best = max(scores.values())
    top = tuple(sorted(source for source, score in scores.items() if score >= best - NEAR_BEST))
    if best <= 0 or len(top) == len(identities):
        return Scope()
    return Scope(top)


def _score_periods(ref: PeriodRef, identities: dict[str, DocumentIdentity], scores: dict[str, float]) -> None:
    if ref.kind != "latest":
        for source, identity in identities.items():
            if identity.period:
                scores[source] += period_match(ref, identity.period)
        return
    # "the most recent quarter": the latest period among the documents that lead so far (the organisation named)
    lead = max(scores.values())
    contenders = {
        s: period
        for s, score in scores.items()
        if score == lead and (period := identities[s].period) and ref.span in ("", period.span)
    }
    if contenders:
        latest = max(period.end for period in contenders.values())
        for source, period in contenders.items():
            scores[source] += period.end == latest
