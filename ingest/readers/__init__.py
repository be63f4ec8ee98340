"""Readers: one per file format, each turning a file's bytes into units of text with their place in the file.

`base` says what a reader is (`Reader`) and gives (`Extracted`, `Unit`), `registry` picks the reader of a file and
runs it in a child process, and each format has a module of its own (`pdf`, `docx`, `pptx`, `xlsx`, `csvfile`,
`html`, `text` for Markdown and plain text, `epub`, `image`), sharing `common` (decoding, the text and unit limits,
rows named by their header) and `archive` (the zip-bomb and XML-entity defences of the zip-based formats).
Adding a format is one new module here and one line in `registry.READERS`. This package imports nothing itself,
so `ingest.pdf` can use `base` without loading the registry.
"""
