"""Offline OCR for pages without a text layer: the page is rendered with pypdfium2 and read by
RapidOCR (PP-OCR detection + recognition ONNX models that ship inside the `rapidocr` wheel).

Why these parts: rendering the whole page (rather than pulling its images out with pypdf) also
handles scans split into strips, masks and CCITT fax images, and gives one image at a known
resolution. RapidOCR runs on onnxruntime, which Folio already uses; docs/benchmarks.md compares
it with Tesseract on accuracy and speed.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor, TimeoutError
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

RENDER_DPI = 150  # measured: CER 0 on the test scans at 120-200 dpi; 150 reads 0.55 pages/s, 200 only 0.42
MAX_SIDE_PX = 2800  # a poster-sized page is scaled down to this


@dataclass
class OcrResult:
    texts: dict[int, str] = field(default_factory=dict)  # page number → recognised text (may be "")
    timed_out: list[int] = field(default_factory=list)  # pages given up after the per-page limit


@lru_cache(maxsize=1)
def _engine():
    from rapidocr import RapidOCR

    logging.getLogger("RapidOCR").setLevel(logging.ERROR)  # "no text detected" is an answer, not a warning
    # one onnxruntime thread per call: pages are read in parallel, one per core
    return RapidOCR(
        params={
            "Global.log_level": "error",
            "EngineConfig.onnxruntime.intra_op_num_threads": 1,
            "EngineConfig.onnxruntime.inter_op_num_threads": 1,
        }
    )


def ocr_pages(data: bytes, numbers: Sequence[int], page_seconds: float, workers: int = 2) -> OcrResult:
    """Recognise the text of the given pages (1-based) of the PDF in `data`, `workers` pages at a time.

    A page that takes longer than `page_seconds` is abandoned and listed in `timed_out` (its thread
    cannot be stopped, so callers run this in a process they can end: see `ingest.isolate`).
    """
    import pypdfium2

    document = pypdfium2.PdfDocument(data)
    images = {n: _render(document[n - 1]) for n in numbers}  # pdfium is not thread-safe: render first
    document.close()
    result = OcrResult()
    pool = ThreadPoolExecutor(max_workers=workers)
    futures = {n: pool.submit(_read, images.pop(n)) for n in numbers}
    for n, future in futures.items():
        try:
            result.texts[n] = future.result(timeout=page_seconds)
        except TimeoutError:
            result.timed_out.append(n)
    pool.shutdown(wait=not result.timed_out, cancel_futures=True)
    return result


def _render(page) -> np.ndarray:
    width, height = page.get_size()  # in points (1/72 inch)
    scale = min(RENDER_DPI / 72, MAX_SIDE_PX / max(width, height, 1))
    return page.render(scale=scale, grayscale=False).to_numpy()


def _read(image: np.ndarray) -> str:
    """Lines of text, top to bottom."""
    output = _engine()(image)
    return "\n".join(output.txts or ())
