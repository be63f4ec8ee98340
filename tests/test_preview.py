"""Page previews: rendered in a bounded child process, whatever page size the PDF declares."""

import io

import pytest
from PIL import Image
from pypdf import PdfWriter

from ingest.preview import PREVIEW_MAX_PIXELS, render_preview
from rag.errors import IngestError
from tests.conftest import SAMPLE_DOCS


def test_a_cited_page_renders_as_a_png():
    png = render_preview(str(SAMPLE_DOCS / "amazon-rainforest-wikipedia.pdf"), 1)
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.width > 600


def test_a_page_of_14400_points_is_scaled_down_to_the_pixel_cap(tmp_path):
    writer = PdfWriter()
    writer.add_blank_page(width=14400, height=14400)
    writer.write(str(tmp_path / "poster.pdf"))

    image = Image.open(io.BytesIO(render_preview(str(tmp_path / "poster.pdf"), 1)))
    assert image.width * image.height <= PREVIEW_MAX_PIXELS
    assert image.width > 1000  # scaled down, not refused


def test_a_missing_page_is_a_one_line_reason():
    with pytest.raises(IngestError, match="cannot be rendered"):
        render_preview(str(SAMPLE_DOCS / "amazon-rainforest-wikipedia.pdf"), 999)
