"""PDF bytes → cleaned text of each page, numbered from 1; every way a file can be unusable
becomes an `IngestError` with a one-line reason. Pages without a text layer are OCR'd.

`read_pdf` is what ingestion calls: `extract_pages` in a child process under a time limit.
"""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass, field

from pypdf import PdfReader
from pypdf.errors import EmptyFileError, FileNotDecryptedError, PdfReadError, PdfStreamError

from rag.errors import IngestError

MIN_TEXT_CHARS = 1  # a page with no visible character at all has no text layer (scanned or blank)
ENCRYPTED = "PDF is encrypted (password-protected); remove the password and try again"


@dataclass
class Page:
    number: int  # 1-based physical page number
    text: str
    ocr: bool = False  # the text was recognised from the page image


@dataclass(frozen=True)
class ReadLimits:
    """Per-file limits, so one hostile or huge PDF cannot stall ingestion (see `.env.example`)."""

    max_pages: int = 5000
    max_chars: int = 20_000_000
    timeout: float = 600.0  # seconds for parsing and OCR of one file (OCR: ~0.7 pages/s on 2 cores)
    ocr: bool = True
    ocr_max_pages: int = 300
    ocr_page_timeout: float = 60.0

    @classmethod
    def from_settings(cls, settings) -> ReadLimits:
        return cls(
            max_pages=settings.folio_max_pages,
            max_chars=settings.folio_max_chars,
            timeout=settings.folio_read_timeout,
            ocr=settings.folio_ocr,
            ocr_max_pages=settings.folio_ocr_max_pages,
            ocr_page_timeout=settings.folio_ocr_page_timeout,
        )


@dataclass
class ExtractedPdf:
    pages: list[Page]  # only pages that have text
    page_count: int
    warnings: list[str] = field(default_factory=list)


def read_pdf(data: bytes, limits: ReadLimits) -> ExtractedPdf:
    """`extract_pages` in a child process that is stopped after `limits.timeout` seconds."""
    from ingest.isolate import run_isolated

    _check_signature(data)  # cheap refusals need no child process
    return run_isolated(extract_pages, data, limits, timeout=limits.timeout)


def extract_pages(data: bytes, limits: ReadLimits = ReadLimits()) -> ExtractedPdf:
    """Read a PDF's text page by page; raise IngestError when nothing usable comes out."""
    _check_signature(data)
    logging.getLogger("pypdf").setLevel(logging.ERROR)  # pypdf logs every repair it makes
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise IngestError(ENCRYPTED)
        if len(reader.pages) > limits.max_pages:
            raise IngestError(f"too many pages: {len(reader.pages)} (the limit is {limits.max_pages}, FOLIO_MAX_PAGES)")
        texts, total = [], 0
        for page in reader.pages:
            texts.append(page.extract_text() or "")
            total += len(texts[-1])
            if total > limits.max_chars:
                raise IngestError(
                    f"too much text: more than {limits.max_chars:,} characters by page {len(texts)} (FOLIO_MAX_CHARS)"
                )
    except IngestError:
        raise
    except FileNotDecryptedError as error:
        raise IngestError(ENCRYPTED) from error
    except EmptyFileError as error:
        raise IngestError("file is empty") from error
    except (PdfReadError, PdfStreamError, ValueError, KeyError, TypeError, AttributeError, RecursionError) as error:
        raise IngestError(f"corrupt or truncated PDF ({error})") from error
    pages = [Page(number, clean_text(text)) for number, text in enumerate(texts, start=1)]
    warnings = _ocr_missing_text(data, pages, limits) if limits.ocr else []
    with_text = [p for p in pages if _has_text(p.text)]
    if not with_text:
        hint = "OCR found no text either" if limits.ocr else "OCR is off (FOLIO_OCR=false)"
        raise IngestError(f"no extractable text (scanned or blank?) in {len(pages)} page(s); {hint}")
    if len(with_text) < len(pages):
        blank = [p.number for p in pages if not _has_text(p.text)]
        warnings.append(f"no text on page(s) {_ranges(blank)} (scanned or blank?)")
    return ExtractedPdf(pages=with_text, page_count=len(pages), warnings=warnings)


def _check_signature(data: bytes) -> None:
    if not data:
        raise IngestError("file is empty (0 bytes)")
    if b"%PDF-" not in data[:1024]:
        raise IngestError("not a PDF (no %PDF- header)")


def _has_text(text: str) -> bool:
    return len(re.sub(r"\s", "", text)) >= MIN_TEXT_CHARS


def _ocr_missing_text(data: bytes, pages: list[Page], limits: ReadLimits) -> list[str]:
    """OCR the pages that have no text layer, in place; returns warnings for the user."""
    missing = [p for p in pages if not _has_text(p.text)]
    if not missing:
        return []
    from ingest.ocr import ocr_pages

    todo, skipped = missing[: limits.ocr_max_pages], missing[limits.ocr_max_pages :]
    try:
        result = ocr_pages(data, [p.number for p in todo], limits.ocr_page_timeout)
    except Exception as error:  # pdfium could not render the file: keep the text pages
        return [f"OCR failed ({type(error).__name__}: {error})"]
    for page in todo:
        page.text, page.ocr = clean_text(result.texts.get(page.number, "")), True
    read = [p.number for p in todo if _has_text(p.text)]
    warnings = [f"page(s) {_ranges(read)} read by OCR"] if read else []
    if result.timed_out:
        warnings.append(f"OCR gave up on page(s) {_ranges(result.timed_out)} (FOLIO_OCR_PAGE_TIMEOUT)")
    if skipped:
        warnings.append(f"OCR skipped page(s) {_ranges([p.number for p in skipped])} (FOLIO_OCR_MAX_PAGES)")
    return warnings


_HYPHEN_BREAK = re.compile(r"(\w)-\n(?=[a-z])")  # "experi-\nment" → "experiment"
_COMPOUND_BREAK = re.compile(r"(\w-)\n(?=[A-Z0-9])")  # "Jean-\nPaul" → "Jean-Paul"
_SENTENCE_END_LINE = re.compile(r"([.!?:;])\n")


def clean_text(text: str) -> str:
    """Join words hyphenated across line breaks, join wrapped lines, normalise whitespace.

    A line break after sentence-ending punctuation is kept (it is usually a paragraph end, and
    the chunker prefers to split there); other line breaks are wrapping and become spaces.
    """
    text = text.replace("\x00", "").replace("\r\n", "\n").replace("\r", "\n")
    text = re.sub(r"[ \t\f\v\u00a0]+", " ", text)
    text = re.sub(r" *\n *", "\n", text)
    text = _HYPHEN_BREAK.sub(r"\1", text)
    text = _COMPOUND_BREAK.sub(r"\1", text)
    text = _SENTENCE_END_LINE.sub("\\1\u2029", text)  # protect paragraph ends
    text = re.sub(r"\n+", " ", text).replace("\u2029", "\n")
    return text.strip()


def _ranges(numbers: list[int]) -> str:
    """[1, 2, 3, 7] → '1-3, 7'."""
    out, start = [], None
    for i, n in enumerate(numbers):
        start = n if start is None else start
        if i + 1 == len(numbers) or numbers[i + 1] != n + 1:
            out.append(str(start) if start == n else f"{start}-{n}")
            start = None
    return ", ".join(out)


def render_page(path: str, page_number: int, scale: float = 1.5):
    """A PIL image of one page (1-based) of the PDF at `path`, for showing a cited page."""
    import pypdfium2

    document = pypdfium2.PdfDocument(path)
    try:
        return document[page_number - 1].render(scale=scale).to_pil()
    finally:
        document.close()
