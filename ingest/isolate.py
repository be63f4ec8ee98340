"""Run a function in a child process that is killed when it takes too long.

PDF parsing and OCR run here: a hostile file that makes the parser spin, or a native crash in
a parser, ends the child, never the CLI or the web server. Children are forked from a small
`forkserver` process (started once, with pypdf and numpy already imported), which is fast and safe even
when the parent has threads (Streamlit, onnxruntime, Chroma).
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from typing import TypeVar

from rag.errors import IngestError

T = TypeVar("T")

_context = multiprocessing.get_context("forkserver")
_context.set_forkserver_preload(["ingest.pdf", "ingest.ocr"])


def run_isolated(function: Callable[..., T], *args, timeout: float) -> T:
    """`function(*args)` in a child process; an exception it raises is raised here.

    Raises IngestError when the child takes longer than `timeout` seconds or dies (it is killed).
    """
    with _context.Pool(processes=1, maxtasksperchild=1) as pool:  # leaving the block kills the child
        pending = pool.apply_async(function, args)
        try:
            return pending.get(timeout)
        except multiprocessing.TimeoutError:
            raise IngestError(
                f"reading the file took longer than {timeout:g} s and was stopped (FOLIO_READ_TIMEOUT)"
            ) from None
