"""Exceptions raised by the simulator.

Every error names *where* the problem is (a config key, a field and site, a cell and
species) and what is allowed, so that a user can fix it without reading the code.

:class:`UserError` and its subclasses are the user's to fix (a config, an argument, an output
that already exists): the command line prints their message and exits with code 2. Every
other documented error (numerical trouble, a file that cannot be read or written --
:class:`RunFileError` or any other OSError --, a full disk) exits with code 1; anything else is a bug and shows its traceback.
"""
from __future__ import annotations


class UserError(Exception):
    """Bad input from the user: a config, a command-line argument or an output path."""


class ConfigError(UserError, ValueError):
    """A scenario config value is unknown, of the wrong type, out of range or inconsistent.

    ``problems`` lists each problem on its own (one line each: key, value, what is allowed),
    so that a caller collecting every problem of a config can merge several errors into one.
    """

    def __init__(self, message: str, problems: list[str] | None = None):
        super().__init__(message)
        self.problems = list(problems) if problems else [message]


class OutputError(UserError):
    """An output path is not allowed: it exists (and ``--overwrite`` was not given), it is not
    a file abm may replace, or it lies outside the output folder."""


class NumericalError(FloatingPointError):
    """A solver produced NaN/inf or a negative concentration, or was given unstable settings."""


class RunFileError(OSError):
    """A run (its file, or its ``.parts`` folder while it is written) cannot be used: damaged
    (a checksum does not match), not a run file, of a schema this abm cannot read, locked by
    a live writer, or in a state the asked operation does not apply to (e.g. resuming a
    complete run). The message names the file and what is wrong; the command line reports it
    in one line with exit code 1. Raised without an errno: the message is the whole report."""
