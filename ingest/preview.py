"""Page previews for the UI: a cited page rendered as a PNG, in a child process with bounded cost.

A PDF can make rendering unbounded: a tiny file can declare a page of 14,400 x 14,400 points (3.8 GB of
pixels at the UI's scale), or nest form XObjects until pdfium needs tens of gigabytes. So the pixel count is
capped before rendering (huge pages are scaled down), and the render runs in a killable child process with
an address-space cap and a time limit: the web server's memory never pays for a hostile page.
"""

from __future__ import annotations

import io
import math

from ingest.isolate import run_isolated
from rag.errors import IngestError

PREVIEW_SCALE = 1.5  # 108 dpi: a readable page in the browser
PREVIEW_MAX_PIXELS = 4_000_000  # about an A4 page at 200 dpi
PREVIEW_SECONDS = 20.0


def render_preview(path: str, page_number: int) -> bytes:
    """PNG bytes of one page (1-based) of the PDF at `path`; IngestError when it cannot be rendered in bounds."""
    return run_isolated(_render_png, path, page_number, timeout=PREVIEW_SECONDS)


def preview_scale(width_points: float, height_points: float) -> float:
    """The preview scale, lowered so that the bitmap has at most PREVIEW_MAX_PIXELS pixels."""
    pixels_at_one = max(width_points * height_points, 1.0)
    return min(PREVIEW_SCALE, math.sqrt(PREVIEW_MAX_PIXELS / pixels_at_one))


def _render_png(path: str, page_number: int) -> bytes:
    import pypdfium2

    try:
        document = pypdfium2.PdfDocument(path)
        try:
            page = document[page_number - 1]
            image = page.render(scale=preview_scale(*page.get_size())).to_pil()
        finally:
            document.close()
        png = io.BytesIO()
        image.save(png, format="PNG")
        return png.getvalue()
    except (pypdfium2.PdfiumError, IndexError, OSError) as error:
        raise IngestError(f"the page cannot be rendered ({type(error).__name__}: {error})") from error
