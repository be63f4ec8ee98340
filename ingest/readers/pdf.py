"""The PDF reader: `ingest.pdf` (pypdf, pypdfium2 where pypdf fails, OCR of pages without text) as a `Reader`."""

from __future__ import annotations

from dataclasses import dataclass

from ingest.pdf import check_signature, extract_pages, is_pdf
from ingest.readers.base import Extracted, ReadLimits


@dataclass(frozen=True)
class PdfReader:
    """A PDF's pages, numbered from 1, with their printed labels."""

    def recognises(self, head: bytes) -> bool:
        return is_pdf(head)

    def check(self, data: bytes) -> None:
        check_signature(data)

    def read(self, data: bytes, name: str, limits: ReadLimits) -> Extracted:
        return extract_pages(data, limits)
