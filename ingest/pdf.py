"""PDF bytes → cleaned text of each page, numbered from 1; every way a file can be unusable
becomes an `IngestError` with a one-line reason."""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass, field

from pypdf import PdfReader
from pypdf.errors import EmptyFileError, FileNotDecryptedError, PdfReadError, PdfStreamError

from rag.errors import IngestError

MIN_TEXT_CHARS = 1  # a page with no visible character at all has no text layer (scanned or blank)


@dataclass
class Page:
    number: int  # 1-based physical page number
    text: str


@dataclass
class ExtractedPdf:
    pages: list[Page]  # only pages that have text
    page_count: int
    warnings: list[str] = field(default_factory=list)


def extract_pages(data: bytes) -> ExtractedPdf:
    """Read a PDF's text page by page; raise IngestError when nothing usable comes out."""
    if not data:
        raise IngestError("file is empty (0 bytes)")
    if b"%PDF-" not in data[:1024]:
        raise IngestError("not a PDF (no %PDF- header)")
    logging.getLogger("pypdf").setLevel(logging.ERROR)  # pypdf logs every repair it makes
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise IngestError("PDF is encrypted (password-protected); remove the password and try again")
        texts = [page.extract_text() or "" for page in reader.pages]
    except IngestError:
        raise
    except FileNotDecryptedError as error:
        raise IngestError("PDF is encrypted (password-protected); remove the password and try again") from error
    except EmptyFileError as error:
        raise IngestError("file is empty") from error
    except (PdfReadError, PdfStreamError, ValueError, KeyError, TypeError, AttributeError, RecursionError) as error:
        raise IngestError(f"corrupt or truncated PDF ({error})") from error
    pages = [Page(number, clean_text(text)) for number, text in enumerate(texts, start=1)]
    with_text = [p for p in pages if len(re.sub(r"\s", "", p.text)) >= MIN_TEXT_CHARS]
    if not with_text:
        raise IngestError(f"no extractable text (scanned or blank?) in {len(pages)} page(s); OCR is not enabled")
    warnings = []
    if len(with_text) < len(pages):
        blank = [p.number for p in pages if p not in with_text]
        warnings.append(f"no text on page(s) {_ranges(blank)} (scanned or blank?)")
    return ExtractedPdf(pages=with_text, page_count=len(pages), warnings=warnings)


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
