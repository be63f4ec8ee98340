"""Readers: one per file format, each turning a file's bytes into units of text with their place in the file.

`base` says what a reader is (`Reader`) and gives (`Extracted`, `Unit`), `registry` picks the reader of a file and
runs it in a child process, and each format has a module of its own (`pdf`). Adding a format is one new module
here and one line in `registry.READERS`. This package imports nothing itself, so `ingest.pdf` can use `base`
without loading the registry.
"""
