"""Ingestion pipeline: PDF files → pages → chunks → vectors → Chroma.

Public API (used by the CLI, the UI and the tests): `ingest_paths`, `ingest_bytes`, `find_pdfs`.
"""

from ingest.sync import FileResult, IngestReport, find_pdfs, ingest_bytes, ingest_paths

__all__ = ["FileResult", "IngestReport", "find_pdfs", "ingest_bytes", "ingest_paths"]
