"""Which reader reads a file, and reading it: in a child process, under the file's limits.

The content decides first (a PDF named `report` or `scan.txt` is read as a PDF, a PNG named `scan.pdf` as an
image), then the name's suffix. A file that no reader recognises and none is registered for is refused as
"unsupported file type (.odt); Folio reads .csv, .docx, …", naming what it reads. `ACCEPTED_SUFFIXES` is the one
list of suffixes the front ends offer (the upload filter, the API's messages).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import PurePath
from types import MappingProxyType

from ingest.isolate import run_isolated
from ingest.readers.base import Extracted, Reader, ReadLimits
from ingest.readers.csvfile import CsvReader
from ingest.readers.docx import DocxReader
from ingest.readers.epub import EpubReader
from ingest.readers.html import HtmlReader
from ingest.readers.image import ImageReader
from ingest.readers.pdf import PdfReader
from ingest.readers.pptx import PptxReader
from ingest.readers.text import MarkdownReader, TextReader
from ingest.readers.xlsx import XlsxReader
from rag.errors import IngestError

# Suffix (lower case, with its dot) → reader: one line per format. Read-only; an ingest with other readers passes
# its own mapping (`IngestOptions.readers`).
READERS: Mapping[str, Reader] = MappingProxyType(
    {
        ".pdf": PdfReader(),
        ".docx": DocxReader(),
        ".pptx": PptxReader(),
        ".xlsx": XlsxReader(),
        ".csv": CsvReader(),
        ".html": HtmlReader(),
        ".htm": HtmlReader(),
        ".md": MarkdownReader(),
        ".markdown": MarkdownReader(),
        ".txt": TextReader(),
        ".epub": EpubReader(),
        ".png": ImageReader(),
        ".jpg": ImageReader(),
        ".jpeg": ImageReader(),
        ".tif": ImageReader(),
        ".tiff": ImageReader(),
    }
)
ACCEPTED_SUFFIXES: tuple[str, ...] = tuple(sorted(READERS))  # what the UI's uploader and the API accept
HEAD_BYTES = 1024  # how much of a file a reader's `recognises` sees


def reader_for(name: str, data: bytes, readers: Mapping[str, Reader] = READERS) -> Reader | None:
    """The reader that recognises `data`, else the one registered for the suffix of `name`, else None."""
    head = data[:HEAD_BYTES]
    recognising = next((reader for reader in readers.values() if reader.recognises(head)), None)
    return recognising or readers.get(PurePath(name).suffix.lower())


def suffix_for(data: bytes, readers: Mapping[str, Reader] = READERS) -> str | None:
    """The first suffix registered for the reader that recognises `data` (".pdf" for a PDF), else None."""
    head = data[:HEAD_BYTES]
    return next((suffix for suffix, reader in readers.items() if reader.recognises(head)), None)


def readable(name: str, readers: Mapping[str, Reader] = READERS) -> bool:
    """Whether a reader is registered for the suffix of `name` (what a folder's files are picked by)."""
    return PurePath(name).suffix.lower() in readers


def read_file(name: str, data: bytes, limits: ReadLimits, readers: Mapping[str, Reader] = READERS) -> Extracted:
    """The text of the file `name` with bytes `data`, read by its reader in a child process stopped after
    `limits.timeout` seconds; IngestError with a one-line reason when it cannot be read."""
    reader = reader_for(name, data, readers)
    if reader is None:
        raise IngestError(unsupported(name, data, readers))
    reader.check(data)  # cheap refusals need no child process
    return run_isolated(reader.read, data, name, limits, timeout=limits.timeout)


def unsupported(name: str, data: bytes, readers: Mapping[str, Reader] = READERS) -> str:
    """The reason a file no reader recognises or is registered for is refused ("" when one is)."""
    if reader_for(name, data, readers) is not None:
        return ""
    if not data:
        return "file is empty (0 bytes)"
    suffix = PurePath(name).suffix.lower() or "no suffix"
    return f"unsupported file type ({suffix}); Folio reads {', '.join(sorted(readers))}"
