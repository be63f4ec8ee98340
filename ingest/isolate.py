"""Run a function in a child process that has a memory cap, a time limit, and dies with its parent.

Reading a file (its reader, see `ingest.readers`), OCR and page rendering run here: a hostile file that makes
the parser spin or allocate gigabytes, or a native crash in a parser, ends the child, never the CLI or the web
server. Children are forked from a small `forkserver` process (started once, with the readers and numpy already
imported), which is fast and safe even when the parent has threads (Streamlit, onnxruntime, Chroma).
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import resource
import select
import sys
import threading
import time
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from rag.errors import IngestError

T = TypeVar("T")
_M_ARENA_MAX = -8  # mallopt parameter, from glibc's malloc.h

# Address space a child may add to what it starts with. OCR of an A4 scan adds 760 MB of address space
# for 466 MB resident (onnxruntime reserves more than it touches); hostile files stop here instead of
# taking the machine (a 4 KB file once took the OCR child to 5.5 GB).
CHILD_MEMORY_BYTES = 1 << 30

_context = multiprocessing.get_context("forkserver")
_context.set_forkserver_preload(["ingest.readers.registry", "ingest.ocr"])  # every registered reader


def run_isolated(function: Callable[..., T], *args, timeout: float, memory: int = CHILD_MEMORY_BYTES) -> T:
    """`function(*args)` in a child process; an exception it raises is raised here.

    The child may grow by `memory` bytes of address space (an allocation past it raises MemoryError
    there). Raises IngestError when the child takes longer than `timeout` seconds (it is killed) or dies.
    """
    receiver, sender = _context.Pipe(duplex=False)
    child = _context.Process(target=_call, args=(sender, function, args, os.getpid(), memory), daemon=True)
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


def _call(sender, function: Callable, args: tuple, parent: int, memory: int) -> None:
    threading.Thread(target=_exit_with, args=(parent,), daemon=True).start()
    _limit_malloc_arenas()
    cap_address_space(memory)
    try:
        result = (True, function(*args))
    except MemoryError:
        result = (False, IngestError(f"needs more than {memory >> 20} MB of memory and was stopped"))
    except Exception as error:
        result = (False, error)
    sender.send(result)


def cap_address_space(extra: int) -> None:
    """Let this process grow by at most `extra` bytes of address space from now on."""
    with open("/proc/self/status") as status:
        current = next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmSize:"))
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = current + extra if hard == resource.RLIM_INFINITY else min(hard, current + extra)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _limit_malloc_arenas() -> None:
    """At most two glibc malloc arenas: each thread's own arena reserves 64 MB of address space (measured:
    OCR needed 1,086 MB of address space with the default, 829 MB with two)."""
    try:
        ctypes.CDLL("libc.so.6").mallopt(_M_ARENA_MAX, 2)
    except (OSError, AttributeError):  # not glibc
        pass


def _exit_with(parent: int) -> None:
    """End this process as soon as `parent` (the process that asked for it, not the forkserver) ends.

    Without this, an OCR child of a killed `folio ingest` ran on for minutes at one core and gigabytes.
    """
    try:
        handle = os.pidfd_open(parent)
    except (AttributeError, OSError):  # no pidfd (not Linux, old kernel): poll
        while process_alive(parent):
            time.sleep(0.5)
    else:
        select.select([handle], [], [])
    os._exit(1)


def process_alive(pid: int) -> bool:
    """Whether a process with this id exists (one of another user's counts too)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


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
