"""The states of a study's run, as the summary table's ``status`` column holds them."""

DONE, FAILED, RUNNING, PENDING = "done", "failed", "running", "pending"
"""Finished (its metrics are in the row), failed (``error`` says why), started and not
finished, never started."""
