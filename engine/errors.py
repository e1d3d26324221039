"""Errors the engine raises for bad files and bad settings; messages name the culprit."""
from __future__ import annotations


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
