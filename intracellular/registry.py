"""The registry of networks: the shipped ones, the user's, and network files.

- :func:`networks`: names of the shipped and registered networks.
- :func:`register`: add a :class:`Network` (or a :class:`~intracellular.definition.Definition`,
  compiled) under its name.
- :func:`get_network`: a network by name, or from a file path (``.xml``/``.sbml``: SBML
  through :func:`intracellular.sbml.load_sbml`; ``.toml``: a network file through
  :func:`intracellular.files.load_network`), files memoised in the process by content hash
  and options.

Each shipped network lives in its own module under ``intracellular/models/`` and is imported
on first use (its generated code is read from the disk cache, or generated once).
"""
from __future__ import annotations

import difflib
import hashlib
import importlib
from pathlib import Path

from .network import Network

_MODULES = {
    "dormancy": "intracellular.models.dormancy",
    "yao2008": "intracellular.models.yao2008",
    "alarcon2004": "intracellular.models.alarcon2004",
    "gerard_goldbeter2011": "intracellular.models.gerard_goldbeter2011",
}
_REGISTERED: dict[str, Network] = {}
_FILES: dict[tuple, Network] = {}
SBML_SUFFIXES = (".xml", ".sbml")
FILE_SUFFIXES = SBML_SUFFIXES + (".toml",)


def networks() -> list[str]:
    """Names of the shipped networks, then the registered ones."""
    return list(_MODULES) + [n for n in _REGISTERED if n not in _MODULES]


def register(network, *, replace: bool = False) -> Network:
    """Make ``network`` (a :class:`Network`, or a Definition, which is compiled) available
    to :func:`get_network` under its name, and return it. A name that is shipped or already
    registered raises ValueError unless ``replace`` (a shipped network can be replaced too:
    the registered one wins)."""
    if not isinstance(network, Network):
        from .compile import compile_network
        network = compile_network(network)
    name = network.name
    if not replace and (name in _MODULES or name in _REGISTERED):
        kind = "shipped" if name in _MODULES else "registered"
        raise ValueError(f"register: a {kind} network is already called {name!r}; pass "
                         "replace=True to replace it, or give the network another name")
    _REGISTERED[name] = network
    return network


def get_network(name, **options) -> Network:
    """The :class:`Network` called ``name`` (a Network is returned as is), or loaded from
    the file at path ``name`` (``.xml``/``.sbml``/``.toml``; ``options``, e.g. ``inputs=``,
    ``name=``, go to the SBML loader)."""
    if isinstance(name, Network):
        return name
    text = str(name)
    if (text in _REGISTERED or text in _MODULES) and options:
        raise ValueError(f"network {text!r}: options {sorted(options)} apply to network files "
                         "(SBML: inputs=, name=) only, not to a shipped or registered network")
    if text in _REGISTERED:
        return _REGISTERED[text]
    if text in _MODULES:
        return importlib.import_module(_MODULES[text]).NETWORK
    if text.lower().endswith(FILE_SUFFIXES) or "/" in text or "\\" in text:
        return _from_file(Path(text), options)
    known = networks()
    close = difflib.get_close_matches(text, known, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise ValueError(f"unknown network {text!r}{hint}; known: {', '.join(known)}; or give "
                     f"the path of a network file ({', '.join(FILE_SUFFIXES)})")


def _from_file(path: Path, options: dict) -> Network:
    suffix = path.suffix.lower()
    if suffix not in FILE_SUFFIXES:
        raise ValueError(f"network file {str(path)!r}: unknown suffix {path.suffix!r}; "
                         f"allowed: {', '.join(FILE_SUFFIXES)} (SBML: .xml/.sbml, "
                         "network definition: .toml)")
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise ValueError(f"network file {str(path)!r}: cannot be read "
                         f"({exc.strerror or exc})") from None
    key = (hashlib.sha256(content).hexdigest(), suffix,
           tuple(sorted((k, repr(v)) for k, v in options.items())))
    if key not in _FILES:
        if suffix in SBML_SUFFIXES:
            from .sbml import load_sbml  # python-libsbml only when an SBML file is used
            _FILES[key] = load_sbml(path, **options)
        else:
            if options:
                raise ValueError(f"network file {str(path)!r}: options {sorted(options)} "
                                 "apply to SBML files only")
            from .files import load_network
            _FILES[key] = load_network(path)
    return _FILES[key]
