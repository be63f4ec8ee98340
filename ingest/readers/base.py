"""What a reader is and what it gives: a file's units of text, each with its place in the file, read within limits.

A unit is what a citation points to and chunks keep the breaks of: a PDF's page; for other formats a slide, a
sheet's rows or a section. Its `number` orders it in the file (stored as the chunk's page span), its `label` is
how the file itself names that place when the number alone does not say it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol

from rag.config import Settings, default


@dataclass
class Unit:
    number: int  # 1-based position in the file: what a chunk spans and a citation points to
    text: str
    reader: str = ""  # what produced the text ("pypdf", "pdfium", "ocr"), stored with each chunk
    label: str = ""  # the file's own name for this place when not `number`: a printed page label ("iv")

    @property
    def ocr(self) -> bool:
        """The text was recognised from an image."""
        return self.reader == "ocr"


@dataclass
class Extracted:
    """A file's text as its reader gives it."""

    units: list[Unit]  # only units that have text, in file order
    unit_count: int  # every unit of the file, with text or without (a PDF's page count)
    warnings: list[str] = field(default_factory=list)  # one line each, reported with the file
    title: str = ""  # the file's title metadata (for its identity and context line)
    running: list[str] = field(default_factory=list)  # the stable text of its running headers/footers
    # the text that says what the file is, for its context line: None for its first unit (a PDF's cover page); ""
    # for files whose units are rows of a table, where the first rows name nothing but their own cells
    cover: str | None = None

    @property
    def readers(self) -> dict[str, int]:
        """How many units each reader produced."""
        counts: dict[str, int] = {}
        for unit in self.units:
            counts[unit.reader] = counts.get(unit.reader, 0) + 1
        return counts


@dataclass(frozen=True)
class ReadLimits:
    """Per-file limits, so one hostile or huge file cannot stall ingestion (see `.env.example`)."""

    max_pages: int = default("folio_max_pages")
    max_chars: int = default("folio_max_chars")
    timeout: float = default("folio_read_timeout")  # seconds for parsing and OCR of one file
    ocr: bool = default("folio_ocr")
    ocr_max_pages: int = default("folio_ocr_max_pages")
    ocr_page_timeout: float = default("folio_ocr_page_timeout")
    reader: Literal["auto", "pypdf", "pdfium"] = default("folio_reader")  # auto: pypdf, and pdfium where it fails
    layout: bool = True  # False: join every line that does not end a sentence (the old cleaning; for benchmarks)

    @classmethod
    def from_settings(cls, settings: Settings) -> ReadLimits:
        return cls(
            max_pages=settings.folio_max_pages,
            max_chars=settings.folio_max_chars,
            timeout=settings.folio_read_timeout,
            ocr=settings.folio_ocr,
            ocr_max_pages=settings.folio_ocr_max_pages,
            ocr_page_timeout=settings.folio_ocr_page_timeout,
            reader=settings.folio_reader,
        )


class Reader(Protocol):
    """Reads one file format. Registered by suffix in `ingest.readers.registry.READERS`; an instance is sent to the
    child process that reads, so it must pickle (a module-level class with plain fields does)."""

    def recognises(self, head: bytes) -> bool:
        """Whether a file that starts with `head` is surely in this format (a signature such as `%PDF-`); False for a
        format without one (plain text), whose files are known by their suffix."""
        ...

    def check(self, data: bytes) -> None:
        """Raise IngestError with a one-line reason when `data` clearly cannot be read as this format ("not a PDF").
        Runs in the calling process before any child is started, so it must be cheap."""
        ...

    def read(self, data: bytes, name: str, limits: ReadLimits) -> Extracted:
        """The file's units of text, or IngestError with a one-line reason when nothing usable comes out. Runs in a
        child process stopped after `limits.timeout` seconds, under a memory cap."""
        ...
