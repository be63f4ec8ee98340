"""PDF bytes → cleaned text of each page, numbered from 1; every way a file can be unusable
becomes an `IngestError` with a one-line reason. Pages without a text layer are OCR'd.

Two readers: pypdf is the reader of record; pypdfium2 reads a file pypdf refuses (a parser limit, an
encryption it cannot open) and a page where pypdf's text is unusable (empty, words glued together,
one word per line). Each page records which reader produced it.

`extract_pages` is what the PDF reader (`ingest.readers.pdf`) gives the registry, which runs it in a child process
under a time limit; `read_pdf` does the same for a PDF alone.
"""

from __future__ import annotations

import io
import logging
import re
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from pypdf import PageObject, PdfReader
from pypdf.errors import EmptyFileError, FileNotDecryptedError
from pypdf.generic import DictionaryObject

from ingest.layout import clean_text, running_lines, split_fields, strip_running_lines, two_field_lines
from ingest.readers.base import Extracted, ReadLimits, Unit
from rag.errors import IngestError

if TYPE_CHECKING:  # imported where pypdf fails (_read_pdfium)
    import pypdfium2

MIN_TEXT_CHARS = 1  # a page with no visible character at all has no text layer (scanned or blank)
ENCRYPTED = "PDF is encrypted (password-protected); remove the password and try again"
GLUED_WORD_CHARS = 7.0  # mean characters per word above this: pypdf likely lost the spaces ("Atotalof38")
FRAGMENTED_WORDS_PER_LINE = 2.0  # fewer words per line than this: pypdf likely broke every word onto a line
UNMAPPED_SHARE = 0.2  # control characters among a page's visible ones above this: glyph codes, not text
BETTER_BY = 1.15  # the other reader must give this many times more words (glued) or words per line
FORM_LINES = 3  # lines of two "Label:" fields that make a page a two-column form (NTSB reports have 4-17 a page)
SIGNATURE, SIGNATURE_WITHIN = b"%PDF-", 1024  # readers accept a header that starts up to 1 KB into the file

Engine = Literal["pypdf", "pdfium", "ocr"]  # what read a page's text
Page = Unit  # a PDF's units are its pages: `number` is the physical page, `label` its printed label where it differs


class ExtractedPdf(Extracted):
    """A PDF's text: its units are its pages."""

    @property
    def pages(self) -> list[Page]:
        """The pages that have text."""
        return self.units

    @property
    def page_count(self) -> int:
        return self.unit_count


def read_pdf(data: bytes, limits: ReadLimits) -> ExtractedPdf:
    """`extract_pages` in a child process that is stopped after `limits.timeout` seconds."""
    from ingest.isolate import run_isolated

    check_signature(data)  # cheap refusals need no child process
    return run_isolated(extract_pages, data, limits, timeout=limits.timeout)


@dataclass
class _RawPdf:
    texts: list[str]
    readers: list[Engine]
    labels: list[str]
    title: str = ""
    refused: str = ""  # why pypdf could not read the file, when pdfium read all of it
    attachments: tuple[str, ...] = ()  # names of files embedded in the PDF (a portfolio's documents)


def extract_pages(data: bytes, limits: ReadLimits = ReadLimits()) -> ExtractedPdf:
    """Read a PDF's text page by page; raise IngestError when nothing usable comes out."""
    check_signature(data)
    logging.getLogger("pypdf").setLevel(logging.ERROR)  # pypdf logs every repair it makes
    raw = _read(data, limits)
    unmapped = [number for number, text in enumerate(raw.texts, start=1) if _unmapped(text)]
    for number in unmapped:  # drop the junk: OCR reads these pages like scans
        raw.texts[number - 1] = ""
    furniture = running_lines(raw.texts) if limits.layout else {}
    pages = [
        Page(
            number,
            clean_text(strip_running_lines(text, furniture) if limits.layout else text, limits.layout),
            reader,
            label,
        )
        for number, (text, reader, label) in enumerate(zip(raw.texts, raw.readers, raw.labels, strict=True), start=1)
    ]
    warnings = [f"page(s) {_ranges(unmapped)}: text in fonts without a Unicode map was dropped"] if unmapped else []
    warnings += _ocr_missing_text(data, pages, limits) if limits.ocr else []
    with_text = [p for p in pages if _has_text(p.text)]
    if not with_text:
        hint = "OCR found no text either" if limits.ocr else "OCR is off (FOLIO_OCR=false)"
        what = (
            "only glyph codes (fonts without a Unicode map)" if unmapped else "no extractable text (scanned or blank?)"
        )
        raise IngestError(f"{what} in {len(pages)} page(s); {hint}")
    if len(with_text) < len(pages):
        blank = [p.number for p in pages if not _has_text(p.text)]
        warnings.append(f"no text on page(s) {_ranges(blank)} (scanned or blank?)")
    other = [p.number for p in pages if p.reader == "pdfium"]
    if raw.refused:
        warnings.append(f"read with pdfium: pypdf could not ({raw.refused})")
    elif other:
        warnings.append(f"page(s) {_ranges(other)} read with pdfium (pypdf's text was unusable)")
    if raw.attachments:
        names = ", ".join(raw.attachments[:3]) + (", …" if len(raw.attachments) > 3 else "")
        warnings.append(f"{len(raw.attachments)} attached file(s) not read ({names}): add them as files of their own")
    running = list(dict.fromkeys(text for text in furniture.values() if text))
    return ExtractedPdf(with_text, len(pages), warnings, title=raw.title, running=running)


def _read(data: bytes, limits: ReadLimits) -> _RawPdf:
    """pypdf's text of every page, with pdfium's where pypdf's is unusable; pdfium alone if pypdf refuses the file."""
    if limits.reader == "pdfium":
        return _read_pdfium(data, limits)
    if limits.reader == "pypdf":
        return _read_pypdf_only(data, limits)
    try:
        raw = _read_pypdf(data, limits)
    except IngestError as error:
        if str(error) != ENCRYPTED:
            raise
        return _read_pdfium(data, limits, pypdf_reason=str(error))
    except Exception as error:  # pypdf's whole PyPdfError family, DependencyError, and its internal bugs
        return _read_pdfium(data, limits, pypdf_reason=_reason(error))
    better = _pdfium_pages_where_better(data, raw.texts)
    for index, text in better.items():
        raw.texts[index], raw.readers[index] = text, "pdfium"
    return raw


def _read_pypdf_only(data: bytes, limits: ReadLimits) -> _RawPdf:
    try:
        return _read_pypdf(data, limits)
    except IngestError:
        raise
    except Exception as error:  # the whole PyPdfError family and pypdf's internal bugs: one line
        raise IngestError(f"corrupt or unreadable PDF ({_reason(error)})") from error


def _read_pypdf(data: bytes, limits: ReadLimits) -> _RawPdf:
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise IngestError(ENCRYPTED)
    except FileNotDecryptedError as error:
        raise IngestError(ENCRYPTED) from error
    except EmptyFileError as error:
        raise IngestError("file is empty") from error
    count = len(reader.pages)
    _check_page_count(count, limits)
    texts, total = [], 0
    for page in reader.pages:
        try:
            texts.append(_page_text(page, limits))
        except Exception:  # one broken page: pdfium gets its chance below
            texts.append("")
        total += len(texts[-1])
        _check_chars(total, len(texts), limits)
    return _RawPdf(texts, ["pypdf"] * count, _printed_labels(reader), _title(reader), attachments=_attachments(reader))


def _page_text(page: PageObject, limits: ReadLimits) -> str:
    """pypdf's text of a page; a form printed in two columns has each field on its own line (pypdf runs the two
    fields of a row together, and a reader of "Certificate: Student Age: 17, Male" cannot tell a value's end)."""
    text = page.extract_text() or ""
    if limits.layout and two_field_lines(text) >= FORM_LINES:
        return split_fields(text, page.extract_text(extraction_mode="layout") or "")
    return text


def _read_pdfium(data: bytes, limits: ReadLimits, pypdf_reason: str = "") -> _RawPdf:
    """The whole file with pdfium, after pypdf refused it; pypdf's reason if pdfium cannot open it either."""
    import pypdfium2

    try:
        document = pypdfium2.PdfDocument(data)
    except Exception as error:  # PdfiumError, and whatever else a broken file makes the binding raise
        if "password" in str(error).lower():
            raise IngestError(ENCRYPTED) from error
        raise IngestError(f"corrupt or unreadable PDF ({pypdf_reason or _reason(error)})") from error
    try:
        _check_page_count(len(document), limits)
        texts, total = [], 0
        for index in range(len(document)):
            try:
                texts.append(_pdfium_text(document, index))
            except Exception:  # one page pdfium cannot read: no text (OCR may still read it)
                texts.append("")
            total += len(texts[-1])
            _check_chars(total, len(texts), limits)
        title = (document.get_metadata_value("Title") or "").strip()
        return _RawPdf(texts, ["pdfium"] * len(texts), [""] * len(texts), title, refused=pypdf_reason)
    finally:
        document.close()


def _pdfium_text(document: pypdfium2.PdfDocument, index: int) -> str:
    page = document[index]
    textpage = page.get_textpage()
    try:
        return textpage.get_text_bounded()
    finally:
        textpage.close()
        page.close()


def _pdfium_pages_where_better(data: bytes, texts: list[str]) -> dict[int, str]:
    """pdfium's text for the pages where pypdf's looks broken and pdfium's is better (index → text)."""
    suspect = [i for i, text in enumerate(texts) if _looks_broken(text)]
    if not suspect:
        return {}
    import pypdfium2

    better = {}
    try:
        document = pypdfium2.PdfDocument(data)
    except Exception:  # pdfium cannot open what pypdf could: keep pypdf's text
        return {}
    try:
        for index in suspect:
            try:
                other = _pdfium_text(document, index)
            except Exception:
                continue
            if _better(other, texts[index]):
                better[index] = other
    finally:
        document.close()
    return better


def _looks_broken(text: str) -> bool:
    words = text.split()
    if not words:
        return True
    lines = [line for line in text.splitlines() if line.strip()]
    glued = sum(map(len, words)) / len(words) > GLUED_WORD_CHARS
    fragmented = len(words) >= 20 and len(words) / len(lines) < FRAGMENTED_WORDS_PER_LINE
    return glued or fragmented


def _better(candidate: str, current: str) -> bool:
    """Whether pdfium's `candidate` is clearly more usable than pypdf's `current` for the same page."""
    words, current_words = candidate.split(), current.split()
    if not current_words:
        return _has_text(candidate)
    if not words:
        return False
    lines = max(1, len([line for line in candidate.splitlines() if line.strip()]))
    current_lines = max(1, len([line for line in current.splitlines() if line.strip()]))
    more_words = len(words) >= BETTER_BY * len(current_words)
    longer_lines = len(words) / lines >= BETTER_BY * len(current_words) / current_lines
    return more_words or longer_lines


def _check_page_count(count: int, limits: ReadLimits) -> None:
    if count > limits.max_pages:
        raise IngestError(f"too many pages: {count} (the limit is {limits.max_pages}, FOLIO_MAX_PAGES)")


def _check_chars(total: int, pages_read: int, limits: ReadLimits) -> None:
    if total > limits.max_chars:
        raise IngestError(
            f"too much text: more than {limits.max_chars:,} characters by page {pages_read} (FOLIO_MAX_CHARS)"
        )


def _printed_labels(reader: PdfReader) -> list[str]:
    """Each page's printed label where the PDF defines /PageLabels and it differs from the physical number."""
    count = len(reader.pages)
    try:
        root = reader.trailer["/Root"]  # a catalog that is no dictionary has no labels (pypdf reads it as empty)
        if not isinstance(root, DictionaryObject) or "/PageLabels" not in root:
            return [""] * count
        labels = list(reader.page_labels)
    except Exception:  # a broken label tree costs the labels, not the file
        return [""] * count
    return [label if label != str(n) else "" for n, label in enumerate(labels[:count], start=1)] + [""] * (
        count - len(labels)
    )


def _title(reader: PdfReader) -> str:
    try:
        metadata = reader.metadata
        return str(metadata.get("/Title") or "").strip() if metadata else ""
    except Exception:
        return ""


def _attachments(reader: PdfReader) -> tuple[str, ...]:
    try:
        return tuple(str(name) for name in reader.attachments)
    except Exception:  # a broken name tree costs the notice, not the file
        return ()


def _unmapped(text: str) -> bool:
    """Whether a page's text is mostly glyph codes: a font without a Unicode map gives control characters."""
    visible = [c for c in text if not c.isspace()]
    controls = sum(unicodedata.category(c) == "Cc" for c in visible)
    return bool(visible) and controls / len(visible) > UNMAPPED_SHARE


def _reason(error: Exception) -> str:
    """One line: the exception's type and the first line of its message, cut to 160 characters."""
    message = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}: {message}"[:160] if message else type(error).__name__


def is_pdf(head: bytes) -> bool:
    """Whether a file that starts with `head` has a PDF header."""
    return SIGNATURE in head[:SIGNATURE_WITHIN]


def check_signature(data: bytes) -> None:
    """IngestError unless `data` is a file with a PDF header."""
    if not data:
        raise IngestError("file is empty (0 bytes)")
    if not is_pdf(data):
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
        return [f"OCR failed ({_reason(error)})"]
    for page in todo:
        page.text, page.reader = clean_text(result.texts.get(page.number, "")), "ocr"
    read = [p.number for p in todo if _has_text(p.text)]
    warnings = [f"page(s) {_ranges(read)} read by OCR"] if read else []
    if result.timed_out:
        warnings.append(f"OCR gave up on page(s) {_ranges(result.timed_out)} (FOLIO_OCR_PAGE_TIMEOUT)")
    if skipped:
        warnings.append(f"OCR skipped page(s) {_ranges([p.number for p in skipped])} (FOLIO_OCR_MAX_PAGES)")
    return warnings


def _ranges(numbers: list[int]) -> str:
    """[1, 2, 3, 7] → '1-3, 7'."""
    out, start = [], None
    for i, n in enumerate(numbers):
        start = n if start is None else start
        if i + 1 == len(numbers) or numbers[i + 1] != n + 1:
            out.append(str(start) if start == n else f"{start}-{n}")
            start = None
    return ", ".join(out)
