"""Background ingestion for the web UI and the API: a queue of files worked through by one thread.

Streamlit reruns the page script on every click; work done inside a run is cancelled when the user asks
a question or clicks anything else (an upload was lost that way). Jobs run here instead, one at a time
(the store takes one writer), and the page only polls their progress.
"""

from __future__ import annotations

import functools
import itertools
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Literal

from ingest.sync import FileResult, Steps

State = Literal["queued", "reading", "embedding", "done", "failed"]
Work = Callable[[Steps], FileResult]  # ingests one file, reporting its steps


@dataclass(frozen=True)
class Job:
    id: int
    name: str
    action: str  # what the job does, for the list: "upload", "re-index"
    collection: str  # the library it writes to: each collection lists only its own jobs
    state: State = "queued"
    pages: int = 0
    chunks_done: int = 0
    chunks: int = 0
    result: FileResult | None = None

    @property
    def fraction(self) -> float:
        """Share of the job done, for a progress bar (reading counts as the first tenth)."""
        if self.state in ("done", "failed"):
            return 1.0
        if self.state == "embedding" and self.chunks:
            return 0.1 + 0.9 * self.chunks_done / self.chunks
        return 0.05 if self.state == "reading" else 0.0

    @property
    def finished(self) -> bool:
        return self.state in ("done", "failed")


class IngestJobs:
    """A queue of ingest jobs and the thread that works through it, for the life of the server process."""

    def __init__(self) -> None:
        self._jobs: dict[int, Job] = {}
        self._work: dict[int, Work] = {}
        self._queue: queue.Queue[int] = queue.Queue()
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        threading.Thread(target=self._run, name="folio-ingest", daemon=True).start()

    def submit(self, name: str, action: str, work: Work, collection: str) -> Job:
        """Queue `work` (which ingests the file `name` into `collection`); returns the queued job."""
        with self._lock:
            job = Job(next(self._ids), name, action, collection)
            self._jobs[job.id], self._work[job.id] = job, work
        self._queue.put(job.id)
        return job

    def jobs(self, collection: str) -> list[Job]:
        """The jobs of this process that write to `collection`, oldest first."""
        with self._lock:
            return [job for job in self._jobs.values() if job.collection == collection]

    def job(self, job_id: int) -> Job | None:
        """One job by its id (None once cleared, or never submitted)."""
        with self._lock:
            return self._jobs.get(job_id)

    def busy(self, collection: str) -> bool:
        """Whether a job of `collection` is queued or running."""
        return any(not job.finished for job in self.jobs(collection))

    def clear_finished(self, collection: str) -> None:
        """Forget the finished jobs of `collection` (the others stay listed where they belong)."""
        with self._lock:
            self._jobs = {
                i: job for i, job in self._jobs.items() if not (job.finished and job.collection == collection)
            }

    def _run(self) -> None:
        while True:
            job_id = self._queue.get()
            self._update(job_id, state="reading")
            work = self._work.pop(job_id)
            try:
                result = work(functools.partial(self._step, job_id))
            except Exception as error:  # noqa: BLE001 - the worker must outlive any one file
                name = self._jobs[job_id].name
                result = FileResult(name, "failed", reason=f"unexpected error: {type(error).__name__}: {error}"[:200])
            state: State = "failed" if result.status == "failed" else "done"
            self._update(job_id, state=state, result=result, pages=result.pages or self._jobs[job_id].pages)

    def _step(self, job_id: int, step: str, done: int, total: int) -> None:
        if step == "read":
            self._update(job_id, state="embedding", pages=total)
        else:
            self._update(job_id, state="embedding", chunks_done=done, chunks=total)

    def _update(self, job_id: int, **changes) -> None:
        with self._lock:
            if job_id in self._jobs:
                self._jobs[job_id] = replace(self._jobs[job_id], **changes)
