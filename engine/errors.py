"""Errors the engine raises for bad files and bad settings; messages name the culprit."""
from __future__ import annotations


def os_error_text(e: OSError) -> str:
    """What went wrong with a file, in a few words: "permission denied", else the system's text."""
    if isinstance(e, PermissionError):
        return "permission denied"
    return e.strerror or str(e) or type(e).__name__


def file_error(shown: str, doing: str, e: OSError) -> str:
    """The one line for a file that could not be read or written: "<file>: <doing>: <why>"."""
    return f"{shown}: {doing}: {os_error_text(e)}"


def not_utf8(shown: str, raw: bytes, e: UnicodeDecodeError) -> tuple[str, int]:
    """The one line for a text file that is not UTF-8, and the line it fails on."""
    line = raw.count(b"\n", 0, e.start) + 1
    return f"{shown}: line {line}: not valid UTF-8 text; save the file as UTF-8", line


class EngineError(Exception):
    """Base class: a problem the user can fix (a file, a setting), not a bug."""


class DatasetError(EngineError, ValueError):
    """A dataset could not be loaded; the message names the file and, for CSV, line and column."""

    def __init__(self, message: str, path: str | None = None, line: int | None = None,
                 column: int | str | None = None):
        super().__init__(message)
        self.path, self.line, self.column = path, line, column


class CheckpointError(EngineError, ValueError):
    """A checkpoint could not be saved or loaded; the message names the file and the problem."""

    def __init__(self, message: str, path: str | None = None):
        super().__init__(message)
        self.path = path


class InitWeightsError(EngineError, ValueError):
    """An initial-weights file could not be used; the message names the file and the array."""

    def __init__(self, message: str, path: str | None = None):
        super().__init__(message)
        self.path = path
