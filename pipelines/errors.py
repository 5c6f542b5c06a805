"""Exceptions that carry a French message meant for the user, never a personal value."""


class PilotageError(Exception):
    """Base class. `exit_code` is what the command line returns."""

    exit_code = 2


class UsageError(PilotageError):
    """Bad arguments, missing file, unreadable input: exit 2, one clear line."""


class FileRefused(PilotageError):
    """The file failed a blocking check: nothing is loaded, exit 1."""

    exit_code = 1


class LoadFailed(PilotageError):
    """A load that started and failed (exit code 1, like a refused file): nothing kept."""

    exit_code = 1


class NotAuthorised(PilotageError):
    """The file belongs to a département the user may not see: nothing derived from the
    warehouse (drift, earlier loads) is computed or shown."""

    exit_code = 1


class FileUnusable(UsageError):
    """The file cannot be read as any source (not recognised, LRSA list unknown): exit 2 for
    a single load; in an arrivals lot it is refused and journaled, and the lot goes on."""
