"""Work out what a document is (organisation, kind, period) from its cover page, its text and its name.

The cover of a filing says it in a few fixed phrases ("FORM 10-Q", "For the quarterly period ended June 30,
2022", the registrant's name over "(Exact name of registrant as specified in its charter)"); a press release
says it in its first paragraph ("PepsiCo, Inc. (NASDAQ: PEP) today reported results for the second quarter
2023"); other documents have a date on the cover. How the company names its fiscal periods ("the second quarter
of fiscal 2024" ended July 29, 2023) is read from the whole text. What cannot be found stays empty: a wrong
identity misleads retrieval more than none.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from datetime import date

from rag.identity import DocumentIdentity
from rag.periods import DATE_PATTERNS, ORDINALS, Period, dates_in, full_year

COVER_PAGES = 2  # pages read for the cover: the registrant, the form, the period
# how the document names its own periods is counted in its opening text (a report's later pages name the
# comparative years as often as its own: Best Buy's fiscal 2019 report says "fiscal 2018" in every table)
OPENING_CHARS = 60_000
SEC_FORMS = {"10-K": "10-K annual report", "10-Q": "10-Q quarterly report", "8-K": "8-K current report",
             "20-F": "20-F annual report", "6-K": "6-K report"}  # fmt: skip
_ORD = "|".join(ORDINALS)
_PERIOD_PHRASES = [
    ("year", re.compile(r"for\s+the\s+(?:fiscal\s+)?year\s+ended\s*:?\s*", re.I)),
    ("quarter", re.compile(r"for\s+the\s+quarterly\s+period\s+ended\s*(?:commission\s+file\s*)?:?\s*", re.I)),
    ("day", re.compile(r"date\s+of\s+(?:report|earliest\s+event\s+reported)[^:]{0,60}:\s*", re.I)),
]
_REGISTRANT = re.compile(r"\(\s*exact\s+name\s+of\s+(?:the\s+)?registrant", re.I)
_RELEASE = re.compile(
    r"(?P<org>[A-Z][\w.,&' -]{1,60}?)\s*\((?:NYSE|NASDAQ|Nasdaq|NYSE American|LSE|TSX)\s*:\s*(?P<ticker>[A-Z.]{1,6})\)"
    r"[^.]{0,80}?\b(?:reports?|reported|announce[sd]?|today)\b",
)
_RESULTS = re.compile(
    rf"\b(?:(?P<year1>(?:19|20)\d\d)\s+)?(?P<ord>{_ORD})[\s-]+quarter(?:\s+(?:and\s+full[\s-]+year\s+)?"
    rf"(?:of\s+)?(?:fiscal\s+)?(?P<year2>(?:19|20)\d\d))?",
    re.I,
)
_FISCAL_QUARTER = re.compile(
    rf"\b(?:(?P<ord>{_ORD})\s+quarter\s+of\s+fiscal\s+(?:year\s+)?(?P<year>(?:19|20)\d\d)"
    rf"|q(?P<q>[1-4])\s+fy\s?'?(?P<yy>\d\d(?:\d\d)?))\b",
    re.I,
)
_FISCAL_YEAR = re.compile(r"\bfiscal\s+(?:year\s+)?(?P<year>(?:19|20)\d\d)\b|\bfy\s?'?(?P<yy>\d\d(?:\d\d)?)\b", re.I)
_TICKER_ROW = re.compile(r"\b(?:common\s+stock|common\s+shares)\b[^\n]{0,80}?\s(?P<ticker>[A-Z]{1,5})\s+(?:the\s+)?"
                         r"(?:new\s+york|nasdaq|nyse)", re.I)  # fmt: skip
_GENERIC_KINDS = [
    ("earnings release", re.compile(r"\b(?:reports?|reported|announce[sd]?)\b[^.\n]{0,80}\bresults\b", re.I)),
    ("aviation accident report", re.compile(r"\baviation\s+(?:investigation|accident)\b", re.I)),
    ("clinical trial protocol", re.compile(r"\b(?:clinical\s+(?:study|trial)\s+)?protocol\b", re.I)),
    ("annual report", re.compile(r"\bannual\s+report\b", re.I)),
    ("agreement", re.compile(r"\bagreement\b", re.I)),
]


def identify(file_name: str, title: str, pages: Sequence[str]) -> DocumentIdentity:
    """The identity of a document from its file name, its title metadata and its pages' text."""
    cover = "\n".join(pages[:COVER_PAGES])
    flat = " ".join(cover.split())
    text = "\n".join(pages)[:OPENING_CHARS]
    form = re.search(r"\bFORM\s+(10-K|10-Q|8-K|20-F|6-K)\b", cover)
    organisation, aliases = _organisation(cover, flat, title)
    kind = SEC_FORMS[form.group(1)] if form else _generic_kind(flat[:3000])
    period = _period(flat, text, kind)
    return DocumentIdentity(organisation, aliases, kind, period)


# organisation ---------------------------------------------------------------------------------------------------


def _organisation(cover: str, flat: str, title: str) -> tuple[str, tuple[str, ...]]:
    tickers = {m.group("ticker") for m in _TICKER_ROW.finditer(cover)}
    name = ""
    registrant = _REGISTRANT.search(flat)
    if registrant:
        name = _name_before(flat[: registrant.start()])
    release = _RELEASE.search(flat[:4000])
    if release:
        tickers.add(release.group("ticker"))
        # the dateline before the name: "PURCHASE, N.Y. - July 13, 2023 - PepsiCo, Inc."
        name = name or re.split(r"\s(?:--|[-–—])\s", release.group("org"))[-1].strip(" ,-–")
    if not name:
        name = _title_organisation(title) or _named_body(cover)
    return _tidy_name(name), tuple(sorted(t for t in tickers if t.isupper()))


def _name_before(head: str) -> str:
    """The registrant's name: the words just before "(Exact name of registrant…)", back to the file number, date
    or rule before them ("Commission file number 1-5805 JPMorgan Chase & Co.")."""
    words: list[str] = []
    for word in reversed(head.split()[-10:]):
        if re.search(r"\d", word) and not re.fullmatch(r"\d[A-Za-z]+", word) or not re.search(r"[A-Za-z&]", word):
            break
        if word.lower().strip(".:") in {"number", "no", "file", "reported", "charter"} or word.endswith(":"):
            break
        words.insert(0, word)
    return " ".join(words)


def _title_organisation(title: str) -> str:
    """ "10-K - 02/07/2019 - 3M Company" → "3M Company"; "Form 8-K for Pepsico INC filed 05/30/2023" → "Pepsico INC"."""
    match = re.search(r"\bfor\s+(.+?)\s+filed\b", title or "", re.I) or re.search(r"\s-\s*([^-]+)$", title or "")
    name = match.group(1).strip() if match else ""
    return "" if re.search(r"\.\w{2,4}$", name) else name  # not a file name ("… - 230315.docx")


_BODY = re.compile(
    r"^(?:The\s+)?(?:[A-Z][\w.&'-]*\s+){0,6}(?:Board|Agency|Administration|Department|Ministry|University|Hospital|"
    r"Institute|Foundation|Council|Commission|Authority|Bank|Inc\.?|Corporation|Company|Ltd\.?|LLC|plc)\b.*$"
)


def _named_body(cover: str) -> str:
    """An organisation named on a line of its own near the top ("National Transportation Safety Board")."""
    lines = [line.strip() for line in cover.splitlines() if line.strip()][:8]
    return next((line for line in lines if len(line.split()) <= 8 and _BODY.match(line)), "")


def _tidy_name(name: str) -> str:
    """Spaces put inside words by the PDF's layout removed ("MGM R ESORTS I NTERNATIONAL"); capitals turned to
    title case ("BEST BUY CO., INC." → "Best Buy Co., Inc."); at most 80 characters."""
    name = " ".join(name.split())
    name = re.sub(r"\b([A-Z]) ([A-Z]{2,})\b", r"\1\2", name)
    if name.isupper() and len(name) > 4:
        name = _title_case(name.split())
    return name[:80].strip(" ,")


def _title_case(words: list[str]) -> str:
    """ "BEST BUY CO., INC." → "Best Buy Co., Inc."; a short first word stays in capitals ("MGM", "3M")."""
    first, rest = words[0], words[1:]
    first = first if len(re.sub(r"[^A-Za-z]", "", first)) <= 3 else first.capitalize()
    return " ".join([first, *(word.capitalize() for word in rest)])


def _generic_kind(flat: str) -> str:
    return next((kind for kind, pattern in _GENERIC_KINDS if pattern.search(flat)), "")


# period ---------------------------------------------------------------------------------------------------------


def _period(flat: str, text: str, kind: str) -> Period | None:
    for span, phrase in _PERIOD_PHRASES:
        found = phrase.search(flat)
        if found:
            day = _date_at(flat, found.end())
            if day:
                return _fiscal(span, day, text)
    if kind == "earnings release":
        return _release_period(flat, text)
    dated = dates_in(flat[:3000])
    return Period("day", dated[0][1], dated[0][1].year) if dated else None


def _date_at(text: str, offset: int) -> date | None:
    """The date written at `offset` (within a few characters: a column header can sit between)."""
    window = text[offset : offset + 60]
    for pattern in DATE_PATTERNS:
        match = pattern.search(window)
        if match and match.start() <= 30:
            found = dates_in(match.group())
            if found:
                return found[0][1]
    return None


def _fiscal(span: str, end: date, text: str) -> Period:
    """The period ending `end`, named as the document names it: the fiscal year (and quarter) it says most often
    among those that can end then, else the calendar year (a 52-week year ending in the first week of January
    belongs to the year before) and the calendar quarter nearest its end."""
    if span == "day":
        return Period("day", end, end.year)
    # a year ending in January or February may be named by either calendar year; a later one by its own
    candidates = {end.year, end.year - 1} if end.month <= 2 else {end.year}
    if span == "quarter":
        candidates = {end.year - 1, end.year} if end.month <= 2 else {end.year, end.year + 1}
        named = Counter(
            (full_year(m.group("year") or m.group("yy")), ORDINALS.get((m.group("ord") or "").lower()) or int(m["q"]))
            for m in _FISCAL_QUARTER.finditer(text)
        )
        for (year, quarter), _ in named.most_common():
            if year in candidates:
                return Period("quarter", end, year, quarter)
        return Period("quarter", end, *_calendar_quarter(end))
    named_years = Counter(full_year(m.group("year") or m.group("yy")) for m in _FISCAL_YEAR.finditer(text))
    years = [year for year in named_years if year in candidates]
    if years:  # the most named; on a tie the year it ends in
        return Period("year", end, max(years, key=lambda year: (named_years[year], year == end.year)), 4)
    return Period("year", end, end.year - 1 if (end.month, end.day) <= (1, 7) else end.year, 4)


def _calendar_quarter(end: date) -> tuple[int, int]:
    """(year, quarter) of the calendar quarter whose last day is nearest `end` (July 2, 2023 → 2023, 2)."""
    ends = [date(year, month, 30 if month in (6, 9) else 31) for year in (end.year - 1, end.year)
            for month in (3, 6, 9, 12)]  # fmt: skip
    nearest = min(ends, key=lambda day: abs((day - end).days))
    return nearest.year, nearest.month // 3


def _release_period(flat: str, text: str) -> Period | None:
    """An earnings release's quarter: "results for the 13-week second quarter ended July 29, 2023", or the
    quarter its opening names most ("Second-Quarter 2023 Results", "2022 Fourth-Quarter")."""
    ended = re.search(rf"\b(?:{_ORD})\s+quarter\s+ended\s+", flat[:3000], re.I)
    if ended:
        day = _date_at(flat, ended.end())
        if day:
            return _fiscal("quarter", day, text)
    named: Counter[tuple[int, int]] = Counter()  # (year, quarter) → times named
    for match in _RESULTS.finditer(flat[:3000]):
        year = match.group("year1") or match.group("year2")
        if year:
            named[(int(year), ORDINALS[match.group("ord").lower()])] += 1
    if not named:
        return None
    (year, quarter), _ = named.most_common(1)[0]
    end = date(year, 3 * quarter, 30 if quarter in (2, 3) else 31)
    return Period("quarter", end, year, quarter)
