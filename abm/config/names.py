"""Scenario names and output path templates: what may become part of a file name.

A scenario name ends up in file names (``output.path``), study folders and job scripts, so it
must be a plain file-name word: :data:`NAME_PATTERN`. ``output.path`` is a template whose only
fields are :data:`TEMPLATE_FIELDS`, written bare (``{name}``): no attribute or index access,
conversion or format spec, which would let a config evaluate expressions or allocate
arbitrary memory while formatting.
"""
from __future__ import annotations

import re
import string

NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
"""A scenario name: letters, digits, ``_``, ``.``, ``-``; starts with a letter or digit (so
never ``.``/``..``, a hidden file or an option); no ``/``."""

NAME_MAX_LENGTH = 100
"""Design choice: leaves room for suffixes such as ``_<arm>.h5`` within the 255-byte file
name limit of common file systems."""

TEMPLATE_FIELDS = {"name": "the scenario name", "seed": "the run's seed (run.seed)"}
"""The fields ``output.path`` may use, with what they are replaced by."""

_FIELDS_ALLOWED = ", ".join("{" + f + "}" for f in TEMPLATE_FIELDS)


def check_name(name) -> str | None:
    """What is wrong with scenario name ``name``, or None."""
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name) or ".." in name \
            or len(name) > NAME_MAX_LENGTH:
        return (f"name = {name!r}: must be 1 to {NAME_MAX_LENGTH} letters, digits, '_', '.' or "
                "'-', starting with a letter or digit, without '..' (it becomes part of file "
                "names; without a name key the scenario file's name is used: set name = "
                "\"...\" in the file to choose another)")
    return None


def template_fields(template: str) -> list[str]:
    """The field names of ``template`` in order. Raises ValueError naming ``output.path`` if
    the template does not parse or uses anything but bare :data:`TEMPLATE_FIELDS`."""
    where = f"output.path = {template!r}"
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError as exc:  # a lone '{' or '}'
        raise ValueError(f"{where}: not a valid template ({exc}); write a literal brace as "
                         "'{{' or '}}'") from None
    fields = []
    for _, field, spec, conversion in parts:
        if field is None:
            continue
        if field not in TEMPLATE_FIELDS or spec or conversion:
            shown = "{" + field + (f"!{conversion}" if conversion else "") + \
                (f":{spec}" if spec else "") + "}"
            raise ValueError(f"{where}: field {shown} is not allowed; the fields are "
                             f"{_FIELDS_ALLOWED}, written exactly so (no attribute, index, "
                             "conversion or format spec)")
        fields.append(field)
    return fields


def check_output_template(template: str) -> None:
    """Raise ValueError naming ``output.path`` for a template :func:`template_fields` refuses,
    an empty one, or one that ends in a directory separator."""
    template_fields(template)
    if not template.strip() or template.endswith(("/", "\\")) or "\0" in template:
        raise ValueError(f"output.path = {template!r}: must name a file, e.g. "
                         "'outputs/{name}.h5'")
