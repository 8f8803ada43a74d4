"""Exceptions raised by the simulator.

Every error names *where* the problem is (a config key, a field and site, a cell and
species) and what is allowed, so that a user can fix it without reading the code.
"""


class ConfigError(ValueError):
    """A scenario config value is unknown, of the wrong type, out of range or inconsistent."""


class NumericalError(FloatingPointError):
    """A solver produced NaN/inf or a negative concentration, or was given unstable settings."""
