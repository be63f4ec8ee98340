"""Offline OCR for pages without a text layer (and image files: `ocr_images`): the page is rendered with
pypdfium2 and read by RapidOCR (PP-OCR detection + recognition ONNX models that ship inside the `rapidocr` wheel).

Why these parts: rendering the whole page (rather than pulling its images out with pypdf) also
handles scans split into strips, masks and CCITT fax images, and gives one image at a known
resolution. RapidOCR runs on onnxruntime, which Folio already uses; docs/benchmarks.md compares
it with Tesseract on accuracy and speed.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, TimeoutError
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

RENDER_DPI = 150  # measured: CER 0 on the test scans at 120-200 dpi; 150 reads 0.55 pages/s, 200 only 0.42
MAX_SIDE_PX = 2800  # a poster-sized page is scaled down to this
# Measured on generated 11 pt and 8 pt scans (bench/ocr.py), one page at a time: detection at 1280 px
# keeps CER at 0.00-0.001 and peaks at 544 MB (1.9 pages/s); the full page with two pages in parallel
# peaked at 1.3 GB (1.6 pages/s); 960 px lost 8 pt text (CER 0.10).
DETECT_SIDE_PX = 1280
BLANK_CONTRAST = 32  # grey levels between a page's darkest and lightest pixel below which it holds no text


@dataclass
class OcrResult:
    texts: dict[int, str] = field(default_factory=dict)  # page number → recognised text (may be "")
    timed_out: list[int] = field(default_factory=list)  # pages given up after the per-page limit


@lru_cache(maxsize=1)
def _engine():
    from rapidocr import RapidOCR

    logging.getLogger("RapidOCR").setLevel(logging.ERROR)  # "no text detected" is an answer, not a warning
    return RapidOCR(
        params={
            "Global.log_level": "error",
            "EngineConfig.onnxruntime.intra_op_num_threads": 1,
            "EngineConfig.onnxruntime.inter_op_num_threads": 1,
            # text detection on the page scaled to DETECT_SIDE_PX; recognition still reads the full-size crops
            "Det.limit_type": "max",
            "Det.limit_side_len": DETECT_SIDE_PX,
        }
    )


def ocr_pages(data: bytes, numbers: Sequence[int], page_seconds: float, workers: int = 1) -> OcrResult:
    """Recognise the text of the given pages (1-based) of the PDF in `data`, `workers` pages at a time.

    Pages are rendered one at a time, just before a worker is free to read them: memory holds at most
    `workers` + 1 page images, whatever the page count (rendering all pages first took a 4 KB file of
    hundreds of poster pages to 5.5 GB). A page that takes longer than `page_seconds` is abandoned and
    listed in `timed_out` (its thread cannot be stopped, so callers run this in a process they can end:
    see `ingest.isolate`); the pages after it are listed there too, unread.
    """
    import pypdfium2

    document = pypdfium2.PdfDocument(data)
    result = OcrResult()
    pool = ThreadPoolExecutor(max_workers=workers)
    pending: deque[tuple[int, Future[str]]] = deque()
    try:
        for n in numbers:
            # pdfium is not thread-safe: only this thread renders
            pending.append((n, pool.submit(_read, _render(document[n - 1]))))
            if len(pending) >= workers and not _collect(pending.popleft(), page_seconds, result):
                break
        while pending and _collect(pending.popleft(), page_seconds, result):
            pass
        result.timed_out += [n for n in numbers if n not in result.texts and n not in result.timed_out]
    finally:
        document.close()
        pool.shutdown(wait=not result.timed_out, cancel_futures=True)
    return result


def ocr_images(images: Iterable[np.ndarray], page_seconds: float) -> OcrResult:
    """Recognise the text of each image (numbered from 1), one at a time, each taken from `images` only when the
    one before is read (a multi-frame TIFF holds one frame in memory). An image that takes longer than
    `page_seconds` is abandoned and listed in `timed_out` with the ones after it left unread (see `ocr_pages`)."""
    result = OcrResult()
    pool = ThreadPoolExecutor(max_workers=1)
    try:
        for n, image in enumerate(images, start=1):
            if not _collect((n, pool.submit(_read, image)), page_seconds, result):
                break
    finally:
        pool.shutdown(wait=not result.timed_out, cancel_futures=True)
    return result


def _collect(job: tuple[int, Future[str]], page_seconds: float, result: OcrResult) -> bool:
    """Wait for one page's text; False when it timed out (the workers are then stuck)."""
    number, future = job
    try:
        result.texts[number] = future.result(timeout=page_seconds)
    except TimeoutError:
        result.timed_out.append(number)
        return False
    return True


def _render(page) -> np.ndarray:
    width, height = page.get_size()  # in points (1/72 inch)
    scale = min(RENDER_DPI / 72, MAX_SIDE_PX / max(width, height, 1))
    return page.render(scale=scale, grayscale=False).to_numpy()


def _read(image: np.ndarray) -> str:
    """Lines of text, top to bottom; none on a page with no contrast (a blank or uniformly tinted scan), which the
    engine would take about a second to find empty."""
    if int(np.ptp(image)) < BLANK_CONTRAST:
        return ""
    output = _engine()(image)
    return "\n".join(output.txts or ())
