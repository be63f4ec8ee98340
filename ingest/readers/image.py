"""The image reader (.png, .jpg/.jpeg, .tif/.tiff): the text recognised by Folio's offline OCR (`ingest.ocr`,
RapidOCR), cited as the image ("image"), a multi-frame TIFF a unit per frame ("frame 2"). The limits are those of
OCR in PDFs: FOLIO_OCR turns it off, FOLIO_OCR_MAX_PAGES caps the frames read, FOLIO_OCR_PAGE_TIMEOUT each
frame's time. Pillow decodes (already installed with rapidocr); an image is scaled to the side OCR reads PDF pages
at (`ocr.MAX_SIDE_PX`), and one of more than Pillow's MAX_IMAGE_PIXELS (a decompression bomb) is refused unread.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from ingest.readers.base import Extracted, ReadLimits, Unit
from ingest.readers.common import check_not_empty, unreadable_as
from rag.errors import IngestError

SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*")


@dataclass(frozen=True)
class ImageReader:
    """A picture's text by OCR: one unit, or one per frame of a multi-frame TIFF."""

    def recognises(self, head: bytes) -> bool:
        return head.startswith(SIGNATURES)

    def check(self, data: bytes) -> None:
        check_not_empty(data)
        if not data.startswith(SIGNATURES):
            raise IngestError("not a PNG, JPEG or TIFF image (no image signature)")

    def read(self, data: bytes, name: str, limits: ReadLimits) -> Extracted:
        from PIL import Image

        from ingest.ocr import ocr_images

        if not limits.ocr:
            raise IngestError("an image's text needs OCR, which is off (FOLIO_OCR=false)")
        with unreadable_as("image"), Image.open(io.BytesIO(data)) as image:
            frames = getattr(image, "n_frames", 1)
            result = ocr_images(_frames(image, min(frames, limits.ocr_max_pages)), limits.ocr_page_timeout)
        warnings = []
        if frames > limits.ocr_max_pages:
            warnings.append(f"frames {limits.ocr_max_pages + 1}-{frames} not read (FOLIO_OCR_MAX_PAGES)")
        if result.timed_out:
            warnings.append(f"OCR gave up on frame(s) {', '.join(map(str, result.timed_out))} (FOLIO_OCR_PAGE_TIMEOUT)")
        label = (lambda n: f"frame {n}") if frames > 1 else (lambda n: "image")
        units = [Unit(n, text.strip(), "ocr", label(n)) for n, text in sorted(result.texts.items()) if text.strip()]
        if not units:
            raise IngestError(f"OCR found no text in {name}" + (f" ({frames} frames)" if frames > 1 else ""))
        return Extracted(units, frames, warnings)


def _frames(image, count: int) -> Iterator[np.ndarray]:
    """Each frame as RGB pixels no larger than OCR reads a PDF page, decoded only when asked for."""
    from PIL import Image

    from ingest.ocr import MAX_SIDE_PX

    for index in range(count):
        image.seek(index)
        frame = image.convert("RGB")
        if max(frame.size) > MAX_SIDE_PX:
            frame.thumbnail((MAX_SIDE_PX, MAX_SIDE_PX), Image.Resampling.LANCZOS)
        yield np.asarray(frame)
