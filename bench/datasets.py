"""The question sets the benchmarks run on: each a set of questions over a folder of PDFs. Several sets can share
one folder (finance-more asks about finance-dev's filings), and so one store."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rag.evaluate import Question, read_questions

ROOT = Path(__file__).resolve().parent.parent
EVAL = ROOT.parent / "shared" / "eval"


@dataclass(frozen=True)
class Dataset:
    name: str  # names the set in reports
    pdfs: Path  # the folder of PDFs the questions are about
    questions: Path  # one JSON row per question (rag.evaluate)
    # an ingest too slow to repeat for each variant (finance-dev: 30 min): the sweep and the ablation vary only
    # retrieval-time settings over Folio's default store
    retrieval_only: bool = False

    @classmethod
    def folder(cls, path: Path, retrieval_only: bool = False) -> Dataset:
        """A set laid out like shared/eval: `pdfs/` and `questions.jsonl` in one folder."""
        return cls(path.name, path / "pdfs", path / "questions.jsonl", retrieval_only)

    @property
    def library(self) -> str:
        """The name of the store of its PDFs (the folder holding `pdfs/`): sets over the same PDFs share it."""
        return self.pdfs.parent.name

    @property
    def root(self) -> Path | None:
        """The shared/eval-style folder, when the questions are that folder's own (follow-ups are keyed by it)."""
        return self.pdfs.parent if self.questions == self.pdfs.parent / "questions.jsonl" else None

    def load(self, limit: int | None = None) -> list[Question]:
        """The questions; with `limit`, an evenly spread sample."""
        return read_questions(self.questions, limit)


FINANCE_DEV = EVAL / "finance-dev"
FORMATS = ROOT / "bench" / "data" / "formats"  # issue 30.4; bench/verify_formats.py checks it
DATASETS = [
    Dataset.folder(EVAL / "squad-public"),
    Dataset.folder(EVAL / "real-docs"),
    Dataset.folder(FINANCE_DEV, retrieval_only=True),
    # page-level questions over finance-dev's filings, written for issue 27 (bench/verify_finance.py checks them)
    Dataset("finance-more", FINANCE_DEV / "pdfs", ROOT / "bench" / "data" / "finance-more.jsonl", retrieval_only=True),
    # the same questions over .docx/.pptx/.xlsx/.csv/.html/.md/.epub files (a page is the reader's unit number) and
    # over their PDF renderings (a page is a PDF page)
    Dataset.folder(FORMATS / "formats"),
    Dataset.folder(FORMATS / "formats-pdf"),
]


def resolve(argument: str) -> Dataset:
    """A default set by name ("finance-dev"), or a folder holding `pdfs/` and `questions.jsonl`."""
    by_name = {d.name: d for d in DATASETS}
    if argument in by_name:
        return by_name[argument]
    path = Path(argument)
    known = {d.root.resolve(): d for d in DATASETS if d.root}
    if path.resolve() in known:
        return known[path.resolve()]
    if not (path / "pdfs").is_dir() or not (path / "questions.jsonl").is_file():
        raise SystemExit(
            f"{argument}: neither a dataset name ({', '.join(by_name)}) nor a folder with pdfs/ and questions.jsonl"
        )
    return Dataset.folder(path)


def available(datasets: list[Dataset]) -> list[Dataset]:
    """The sets whose files exist (a question file still being written is left out, with a note)."""
    present = [d for d in datasets if d.pdfs.is_dir() and d.questions.is_file()]
    for missing in (d for d in datasets if d not in present):
        print(f"skipping {missing.name}: {missing.questions} or {missing.pdfs} is missing")
    return present
