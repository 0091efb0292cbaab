"""One exception hierarchy for everything a user can see go wrong.

Each class carries the process exit code the CLI uses, and every message is a plain sentence
that says what happened and what to do, because clerks read these in quarantine notes.
"""

from __future__ import annotations


class HosoError(Exception):
    """Base of every error hoso reports on purpose."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ConfigError(HosoError):
    """The configuration file or an environment override is wrong."""

    exit_code = 2


class InputFileError(HosoError):
    """A scan cannot be read: wrong type, damaged or protected."""

    exit_code = 3


class UnsupportedFileType(InputFileError):
    """The file is not a PDF, TIFF, JPEG or PNG."""


class CorruptFile(InputFileError):
    """The file claims a known type but cannot be decoded."""


class PageTooLarge(InputFileError):
    """A page claims more pixels, or a larger size, than any scanned page has."""


class EncryptedPdf(InputFileError):
    """The PDF needs a password to open."""


class ExternalProgramError(HosoError):
    """A helper program (poppler, tesseract) failed."""

    exit_code = 4


class ProgramTimeout(ExternalProgramError):
    """A helper program did not finish within its time limit."""


class MissingDependency(HosoError):
    """A program or model hoso needs is not installed."""

    exit_code = 5


class OcrError(HosoError):
    """Tesseract could not read a page."""

    exit_code = 6


class OcrTimeout(OcrError):
    """Tesseract did not finish a page within its time limit."""


class DatabaseError(HosoError):
    """The database cannot be reached or refused an operation."""

    exit_code = 7


class BrokerError(HosoError):
    """The message broker (Redis, RabbitMQ) could not be reached or refused a message."""

    exit_code = 14


class StorageError(HosoError):
    """A file could not be written to or read from the archive or inbox."""

    exit_code = 8


class NotFound(HosoError):
    """A document, batch or file asked for does not exist."""

    exit_code = 9


class NotAllowed(HosoError):
    """The user may not do this: wrong role, or the separation of duties forbids it."""

    exit_code = 10


class InvalidInput(HosoError):
    """A value typed by a person is not valid for its field."""

    exit_code = 11


class NotAuthenticated(HosoError):
    """The name and password do not match, or the log-in has expired."""

    exit_code = 12


class TooManyAttempts(NotAuthenticated):
    """Too many failed log-ins for one user name; wait before trying again."""

    exit_code = 13


class TooLarge(InvalidInput):
    """A request, file or query is larger than hoso accepts (the limit is in the message)."""
