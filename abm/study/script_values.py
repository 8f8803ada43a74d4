"""What a study file may put into a job script, declared once.

Study values end up in shell scripts: the sbatch array script of ``--emit-slurm``
(:func:`abm.study.engines.slurm_script`) and the job scripts that dask-jobqueue writes from
``[cluster]``. A ``#SBATCH`` line is read by sbatch, not by a shell, so a value there cannot be
quoted: it must match a pattern that leaves no room for a quote, a space, a newline or a
``%`` (sbatch's file-name placeholders). Shell words (the command a task runs) are quoted
with :func:`shlex.quote` as well. A value that does not match is refused with one message
naming the key, the value and what is allowed; nothing is written.
"""
from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Allowed:
    """A value pattern (matched in full) and how it is described to the user."""

    pattern: str
    described: str

    def problem(self, key: str, value) -> str | None:
        """What is wrong with ``value`` of ``key`` (None if it is allowed)."""
        if isinstance(value, str) and re.fullmatch(self.pattern, value):
            return None
        return f"{key} = {value!r}: must be {self.described}"


NAME = Allowed(r"[A-Za-z0-9][A-Za-z0-9_.+-]{0,99}",
               "1-100 characters of letters, digits and _ . + -, starting with a letter or "
               "digit (it names the study's folder and its SLURM job)")
"""The study name (design choice: it is a file-name part and a job name, so it carries no
path separator, no ``..`` component, no shell or sbatch syntax)."""

SCRIPT_PATH = Allowed(r"[A-Za-z0-9_./+-]+",
                      "a path of letters, digits and _ . / + - only (it is written unquoted "
                      "into the #SBATCH --output line)")
"""The study folder as written into ``#SBATCH --output`` (no spaces, quotes or ``%``)."""

_TIME = (r"\d{1,5}|\d{1,5}:\d{2}|\d{1,5}:\d{2}:\d{2}"
         r"|\d{1,4}-\d{1,2}|\d{1,4}-\d{1,2}:\d{2}|\d{1,4}-\d{1,2}:\d{2}:\d{2}")
_NAME_LIST = r"[A-Za-z0-9_.-]{0,64}"

SLURM = {
    # every form sbatch --time accepts (man sbatch): M, M:S, H:M:S, D-H, D-H:M, D-H:M:S
    "time": Allowed(_TIME, "a SLURM time as text: MM, MM:SS, HH:MM:SS, D-HH, D-HH:MM or "
                          "D-HH:MM:SS"),
    # sbatch --mem: a whole number with an optional unit K, M (default), G or T
    "memory": Allowed(r"[1-9]\d{0,8}[KMGT]?",
                      "a SLURM memory size as text, e.g. \"4G\", \"500M\" or \"4000\""),
    "partition": Allowed(_NAME_LIST, "empty or a name of letters, digits and _ . -"),
    "account": Allowed(_NAME_LIST, "empty or a name of letters, digits and _ . -"),
}
"""``[slurm]`` string keys (``max_parallel`` is a whole number, checked with the counts)."""

CLUSTER = {
    "kind": Allowed(r"slurm|pbs", "slurm or pbs"),
    "memory": Allowed(r"[1-9]\d{0,8}(\.\d{1,3})? ?[KMGTP]i?B",
                      "a dask-jobqueue memory size as text, e.g. \"4GB\" or \"3.5 GiB\""),
    "walltime": Allowed(r"\d{1,4}:\d{2}:\d{2}|\d{1,4}-\d{1,2}:\d{2}:\d{2}",
                        "a wall time HH:MM:SS or D-HH:MM:SS"),
    "queue": Allowed(_NAME_LIST, "empty or a queue name of letters, digits and _ . -"),
}
"""``[cluster]`` string keys (``jobs``, ``cores``, ``processes`` are whole numbers)."""

CLUSTER_COUNTS = ("jobs", "cores", "processes")
