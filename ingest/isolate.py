"""Run a function in a child process that is killed when it takes too long.

PDF parsing and OCR run here: a hostile file that makes the parser spin, or a native crash in
a parser, ends the child, never the CLI or the web server. Children are forked from a small
`forkserver` process (started once, with pypdf and numpy already imported), which is fast and
safe even when the parent has threads (Streamlit, onnxruntime, Chroma).
"""

from __future__ import annotations

import multiprocessing
import sys
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from rag.errors import IngestError

T = TypeVar("T")

_context = multiprocessing.get_context("forkserver")
_context.set_forkserver_preload(["ingest.pdf", "ingest.ocr"])


def run_isolated(function: Callable[..., T], *args, timeout: float) -> T:
    """`function(*args)` in a child process; an exception it raises is raised here.

    Raises IngestError when the child takes longer than `timeout` seconds (it is killed) or dies.
    """
    receiver, sender = _context.Pipe(duplex=False)
    child = _context.Process(target=_call, args=(sender, function, args), daemon=True)
    with _without_main_module():
        child.start()
    sender.close()
    try:
        if not receiver.poll(timeout):
            raise IngestError(f"reading the file took longer than {timeout:g} s and was stopped (FOLIO_READ_TIMEOUT)")
        try:
            ok, value = receiver.recv()
        except EOFError:
            raise IngestError("the PDF reader crashed on this file") from None
    finally:
        child.kill()
        child.join()
        receiver.close()
    if not ok:
        raise value
    return value


def _call(sender, function: Callable, args: tuple) -> None:
    try:
        result = (True, function(*args))
    except Exception as error:
        result = (False, error)
    sender.send(result)


@contextmanager
def _without_main_module() -> Iterator[None]:
    """Start children without re-running the parent's `__main__` in them.

    multiprocessing re-imports the main module in every child; under Streamlit that module is
    the whole app (measured: 15-50 s per file in tests after AppTest, instead of 0.05 s).
    """
    main = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        sys.modules["__main__"] = main
