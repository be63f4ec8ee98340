"""Folio's exceptions: each one carries a message a user can act on.

CLI and UI print ``str(error)`` as one line; tracebacks are for unexpected bugs only.
"""


class FolioError(Exception):
    """Base class of every error Folio reports to the user."""


class ConfigError(FolioError):
    """A setting (environment variable or .env line) has a value Folio cannot use."""


class IngestError(FolioError):
    """A file could not be ingested (the reason is the message)."""


class StoreError(FolioError):
    """The vector store is unreachable, inconsistent or built with another model."""


class LLMError(FolioError):
    """The language model server failed (the message says how)."""


class DuplicateError(FolioError):
    """The same bytes are already stored under another name."""


class LLMUnreachable(LLMError):
    """The language model server could not be reached (refused, or no answer in time): answers go offline."""
