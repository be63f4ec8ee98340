"""Dates and reporting periods in text: "June 30, 2022", "FY2018", "Q2 of FY2024", "second quarter of 2023",
"the quarter ended March 31", "H1 2023", "most recent".

Used on both sides of a question about look-alike documents: ingest reads the period a document covers from its
cover page (ingest.identity), and retrieval reads the period a question names (rag.identity). General spellings,
not rules for one kind of filing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal

MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
ORDINALS = {
    "first": 1, "1st": 1, "one": 1,
    "second": 2, "2nd": 2, "two": 2,
    "third": 3, "3rd": 3, "three": 3,
    "fourth": 4, "4th": 4, "four": 4,
}  # fmt: skip
_MONTH = r"(?P<month>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>(?:19|20)\d\d)"
DATE_PATTERNS = [
    re.compile(rf"\b{_MONTH}\s+{_DAY}\s*,?\s+{_YEAR}\b", re.IGNORECASE),  # June 30, 2022 (also "30 , 2022")
    re.compile(rf"\b{_DAY}\s+{_MONTH},?\s+{_YEAR}\b", re.IGNORECASE),  # 30 June 2022
    re.compile(rf"\b{_YEAR}-(?P<month>[01]\d)-(?P<day>[0-3]\d)\b"),  # 2022-06-30
    re.compile(rf"\b{_MONTH}-{_DAY}-{_YEAR}\b", re.IGNORECASE),  # Oct-16-2023
    # 12/08/2007 (month first, as in US forms; day first when the first number cannot be a month: 26/10/2023)
    re.compile(rf"\b(?P<month>[01]?\d)/(?P<day>[0-3]?\d)/{_YEAR}\b"),
    re.compile(rf"\b(?P<day>(?:1[3-9]|2\d|3[01]))/(?P<month>[01]?\d)/{_YEAR}\b"),
]
_ORD = r"(?P<ord>" + "|".join(ORDINALS) + r")"
_FY = r"(?:fy|fiscal(?:\s+year)?)"
_YY = r"'?(?P<year>(?:19|20)?\d\d)"  # 2024, 24 or '24


def dates_in(text: str) -> list[tuple[int, date]]:
    """(offset, date) of every full date written in `text`, in order."""
    return [(offset, day) for offset, _, day in written_dates(text)]


def written_dates(text: str) -> list[tuple[int, str, date]]:
    """(offset, the date as `text` writes it, date) of every full date written in `text`, in order."""
    found = []
    for pattern in DATE_PATTERNS:
        for match in pattern.finditer(text):
            month = match.group("month").lower().rstrip(".")
            try:
                day = date(int(match.group("year")), MONTHS.get(month) or int(month), int(match.group("day")))
            except ValueError:
                continue
            found.append((match.start(), match.group(), day))
    return sorted(found)


def full_year(text: str) -> int:
    """'24' → 2024, '2024' → 2024."""
    year = int(text.lstrip("'"))
    return year if year >= 100 else 2000 + year


@dataclass(frozen=True)
class Period:
    """The time a document covers. `fiscal_year` and `fiscal_quarter` name it as the company does (Best Buy's
    quarter ended July 29, 2023 is the second quarter of fiscal 2024)."""

    span: Literal["year", "quarter", "day"]
    end: date
    fiscal_year: int
    fiscal_quarter: int = 0  # 1-4 for a quarter; 4 also for a fourth-quarter report covering the full year

    @property
    def label(self) -> str:
        when = f"{self.end.strftime('%B')} {self.end.day}, {self.end.year}"
        if self.span == "year":
            return f"fiscal year {self.fiscal_year} (ended {when})"
        if self.span == "quarter":
            return f"Q{self.fiscal_quarter} fiscal {self.fiscal_year} (quarter ended {when})"
        return f"dated {when}"


# What a question can name ---------------------------------------------------------------------------------------

Named = Literal["year", "fiscal_year", "quarter", "half", "date", "latest"]


@dataclass(frozen=True)
class PeriodRef:
    """A period a question names. `year` is the (fiscal) year, `part` the quarter or half, `day` a date."""

    kind: Named
    year: int = 0
    part: int = 0
    day: date | None = None
    anchored: bool = field(default=False, compare=False)  # written "as of …": the period the question stands in
    span: str = ""  # for "latest": "quarter" or "year" when the question says which ("the most recent quarter")

    @property
    def approximate_end(self) -> date:
        """Roughly when the named period ends: orders the periods of one question (the latest is the one asked
        about; the earlier ones are its comparatives)."""
        if self.day:
            return self.day
        if self.kind == "quarter":
            return date(self.year, 3 * self.part, 28)
        if self.kind == "half":
            return date(self.year, 6 * self.part, 28)
        return date(self.year, 12, 31) if self.year else date.max


_QUESTION_PATTERNS: list[tuple[Named, re.Pattern]] = [
    ("quarter", re.compile(rf"\b{_FY}\s?{_YY}\s?q(?P<part>[1-4])\b", re.I)),  # FY2023Q1
    ("quarter", re.compile(rf"\bq(?P<part>[1-4])\s*(?:of\s+)?(?:{_FY}\s?)?{_YY}\b", re.I)),  # Q2 2023, Q2 of FY24
    ("quarter", re.compile(r"\b(?P<year>(?:19|20)\d\d)\s?q(?P<part>[1-4])\b", re.I)),  # 2021 Q1, 2023Q2
    ("quarter", re.compile(r"\b(?P<part>[1-4])q\s?'?(?P<year>(?:19|20)?\d\d)\b", re.I)),  # 4Q22
    (
        "quarter",  # second quarter of 2022, second fiscal quarter of 2023, Q2 … fiscal 2024
        re.compile(
            rf"\b{_ORD}[\s-]+(?:fiscal\s+)?quarter\s+(?:of\s+|in\s+|ended\s+)?(?:the\s+)?(?:{_FY}\s+)?{_YY}\b", re.I
        ),
    ),
    ("quarter", re.compile(rf"\b{_YY}\s+{_ORD}[\s-]+quarter\b", re.I)),  # 2022 fourth quarter
    ("half", re.compile(rf"\bh(?P<part>[12])\s*(?:of\s+)?(?:{_FY}\s?)?{_YY}\b", re.I)),  # H1 FY2023
    ("half", re.compile(rf"\b(?P<ord>first|second)\s+half\s+(?:of\s+)?(?:{_FY}\s+)?{_YY}\b", re.I)),
    ("fiscal_year", re.compile(rf"\b{_FY}\s?{_YY}\b", re.I)),  # FY2018, FY 2022, fiscal 2022, fiscal year 2021
    ("fiscal_year", re.compile(r"\b(?P<year>(?:19|20)\d\d)\s+fiscal\s+(?:year|period)\b", re.I)),
]
_LATEST = re.compile(
    r"\b(?:most\s+recent|latest|newest|last|current|this)\s+(?:fiscal\s+)?"
    r"(?:quarter|year|filing|report|period|release|statement)s?\b|\bmost\s+recent(?:ly)?\b|\blatest\b",
    re.I,
)
_BARE_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
_AS_OF = re.compile(r"\bas\s+(?:of|at)\s+(?:the\s+)?(?:end\s+of\s+)?$", re.I)


def named_periods(question: str) -> list[PeriodRef]:
    """Every period `question` names, in the order found (dates, quarters, halves, fiscal years, then bare years
    and "most recent")."""
    refs: list[PeriodRef] = []
    taken: list[tuple[int, int]] = []

    def free(start: int, end: int) -> bool:
        return all(end <= a or start >= b for a, b in taken)

    def anchored(start: int) -> bool:
        return _AS_OF.search(question[max(0, start - 20) : start]) is not None

    for offset, day in dates_in(question):
        refs.append(PeriodRef("date", day.year, day=day, anchored=anchored(offset)))
        taken.append((offset, offset + 20))
    for kind, pattern in _QUESTION_PATTERNS:
        for match in pattern.finditer(question):
            if not free(*match.span()):
                continue
            groups = match.groupdict()
            part = int(groups["part"]) if groups.get("part") else ORDINALS.get((groups.get("ord") or "").lower(), 0)
            refs.append(PeriodRef(kind, full_year(groups["year"]), part, anchored=anchored(match.start())))
            taken.append(match.span())
    for match in _BARE_YEAR.finditer(question):
        if free(*match.span()):
            refs.append(PeriodRef("year", int(match.group()), anchored=anchored(match.start())))
    latest = _LATEST.search(question)
    if latest:
        said = re.search(r"quarter|year|annual", question[latest.start() : latest.end() + 30], re.I)
        span = {"quarter": "quarter", "year": "year", "annual": "year"}[said.group().lower()] if said else ""
        refs.append(PeriodRef("latest", span=span))
    return refs


def asked_period(question: str) -> PeriodRef | None:
    """The one period the question is about: the one it stands in ("as of FY2021, …"), else the latest it names
    (a filing reports its own period and earlier ones as comparatives, so "between FY2023 and Q2 FY2024" is
    answered by the Q2 FY2024 filing), else "most recent" if it says so; None when it names no period."""
    refs = named_periods(question)
    dated = [r for r in refs if r.kind != "latest"]
    anchored = [r for r in dated if r.anchored]
    if anchored or dated:
        return max(anchored or dated, key=lambda r: r.approximate_end)
    return refs[0] if refs else None


def period_match(ref: PeriodRef, period: Period) -> float:
    """How well a document covering `period` answers a question about `ref`: 1 the same period, less for one
    that holds it in part (a fourth-quarter release and its fiscal year), 0 for another period."""
    if ref.kind == "date" and ref.day:
        return _day_match(ref.day, period)
    same_year = period.fiscal_year == ref.year
    if ref.kind == "fiscal_year":
        if not same_year:
            return 0.0
        return 1.0 if period.span == "year" else 0.7 if period.fiscal_quarter == 4 else 0.3
    if ref.kind == "quarter":
        if not same_year:
            return 0.0
        if period.span == "quarter":
            return 1.0 if period.fiscal_quarter == ref.part else 0.0
        return 0.6 if period.span == "year" and ref.part == 4 else 0.0
    if ref.kind == "half":
        if not same_year or period.span == "day":
            return 0.0
        if period.span == "quarter":
            return 1.0 if period.fiscal_quarter == 2 * ref.part else 0.0
        return 0.6 if ref.part == 2 else 0.0
    if ref.kind == "year":  # a report of that year; a document dated in it holds less ("PepsiCo's 2023 meeting")
        return (1.0 if period.span != "day" else 0.7) if same_year else 0.0
    return 0.0


def _day_match(day: date, period: Period) -> float:
    """`period_match` for a question about a date: 1 a document of that day or a period ending within a week of it,
    less for one a month away or a period that holds it."""
    if period.span == "day":
        gap = abs((period.end - day).days)
        return 1.0 if gap <= 7 else 0.5 if gap <= 31 else 0.0
    if abs((period.end - day).days) <= 7:
        return 1.0
    return 0.6 if _start(period) <= day <= period.end else 0.0


def _start(period: Period) -> date:
    return period.end - timedelta(days=366 if period.span == "year" else 93 if period.span == "quarter" else 0)
