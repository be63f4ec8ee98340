"""Benchmarks: Folio against the tutorial pipelines, in one run, with the same embedding model."""
