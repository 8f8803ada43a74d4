"""The generated-code cache (intracellular.sparse_lu) trusts nothing it finds on disk: only a
private directory is used, and only source text this process generated is executed."""
from __future__ import annotations

import hashlib
import importlib.util
import os
import py_compile
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

from intracellular import sparse_lu
from intracellular.sparse_lu import CacheDirError, cache_dir, compile_lu, lu_source

PATTERN = np.array([[1, 1, 0, 0], [1, 1, 1, 0], [0, 1, 1, 1], [0, 0, 1, 1]], dtype=bool)


def _module_name(label: str) -> str:
    """The file name the cache uses for a pattern's module: a hash of its text."""
    return "_intracellular_lu_" + hashlib.sha256(
        lu_source(PATTERN, label).encode()).hexdigest()[:20]


def _plant_pyc(directory: Path, name: str, marker: Path) -> Path:
    """Write ``name``'s genuine source and, beside it in ``__pycache__``, bytecode of other
    code (it creates ``marker``) in the unchecked-hash form, which Python's import loads
    without looking at the source."""
    bad = directory / "evil_src.py"
    bad.write_text(f"open({str(marker)!r}, 'w').close()\n"
                   "def factor(J, c, a):\n    return False\n"
                   "def solve(a, b):\n    pass\n")
    pyc = Path(importlib.util.cache_from_source(str(directory / f"{name}.py")))
    pyc.parent.mkdir(exist_ok=True)
    py_compile.compile(str(bad), cfile=str(pyc), doraise=True,
                       invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
    bad.unlink()
    return pyc


def _solves(lu) -> bool:
    """The LU reproduces numpy's solve of W = I + c·J on the pattern."""
    rng = np.random.default_rng(0)
    J = np.where(PATTERN, rng.normal(size=PATTERN.shape), 0.0) - 3.0 * np.eye(4)
    b = rng.normal(size=4)
    a = np.empty(lu.slots)
    x = b.copy()
    assert lu.factor(J.ravel(), -0.5, a)
    lu.solve(a, x)
    return np.allclose(x, np.linalg.solve(np.eye(4) - 0.5 * J, b), rtol=1e-12)


def test_a_planted_pyc_is_never_executed(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700)
    label = "planted pyc test"
    name = _module_name(label)
    (cache / f"{name}.py").write_text(lu_source(PATTERN, label))
    marker = tmp_path / "marker"
    _plant_pyc(cache, name, marker)
    # the plant works: Python's own import of the cached file runs it
    spec = importlib.util.spec_from_file_location("probe_" + name, cache / f"{name}.py")
    spec.loader.exec_module(importlib.util.module_from_spec(spec))
    assert marker.exists()
    marker.unlink()

    monkeypatch.setenv("INTRACELLULAR_CACHE_DIR", str(cache))
    lu = compile_lu(PATTERN, 4, label)
    assert not marker.exists()
    assert lu.path == cache / f"{name}.py"
    assert _solves(lu)


def test_an_edited_cached_source_is_rewritten_and_not_run(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700)
    label = "edited source test"
    name = _module_name(label)
    marker = tmp_path / "marker"
    (cache / f"{name}.py").write_text(f"open({str(marker)!r}, 'w').close()\n")
    monkeypatch.setenv("INTRACELLULAR_CACHE_DIR", str(cache))
    lu = compile_lu(PATTERN, 4, label)
    assert not marker.exists()
    assert (cache / f"{name}.py").read_text() == lu_source(PATTERN, label)
    assert _solves(lu)


def test_a_named_world_writable_dir_is_refused_with_one_message(tmp_path, monkeypatch):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    monkeypatch.setenv("INTRACELLULAR_CACHE_DIR", str(shared))
    with pytest.raises(CacheDirError, match=r"INTRACELLULAR_CACHE_DIR = .*shared.*writable by "
                                            r"group or others \(mode 777\)"):
        cache_dir()


def test_a_named_dir_of_another_user_is_refused(tmp_path, monkeypatch):
    mine = tmp_path / "theirs"
    mine.mkdir(mode=0o700)
    monkeypatch.setenv("INTRACELLULAR_CACHE_DIR", str(mine))
    assert cache_dir() == mine
    uid = os.getuid()
    monkeypatch.setattr(sparse_lu.os, "getuid", lambda: uid + 1)  # we are someone else now
    with pytest.raises(CacheDirError, match=rf"is owned by uid {uid}\b"):
        cache_dir()


@pytest.mark.parametrize("shared", ["numba", "numba/intracellular"])
def test_numba_cache_dir_must_be_private_too(tmp_path, monkeypatch, shared):
    """numba keeps the compiled code (pickles) of generated modules under NUMBA_CACHE_DIR,
    even when INTRACELLULAR_CACHE_DIR names the source's directory."""
    numba_dir = tmp_path / "numba"
    (numba_dir / "intracellular").mkdir(parents=True)
    (tmp_path / shared).chmod(0o775)
    own = tmp_path / "own"
    own.mkdir(mode=0o700)
    monkeypatch.setenv("INTRACELLULAR_CACHE_DIR", str(own))
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(numba_dir))
    if shared == "numba":
        with pytest.raises(CacheDirError, match="NUMBA_CACHE_DIR.*mode 775"):
            cache_dir()
    else:
        assert cache_dir() == own
    monkeypatch.delenv("INTRACELLULAR_CACHE_DIR")
    with pytest.raises(CacheDirError, match="NUMBA_CACHE_DIR.*mode 775"):
        cache_dir()


def test_unsafe_implicit_dirs_fall_back_to_a_fresh_private_dir(tmp_path, monkeypatch):
    """A shared ~/.cache/intracellular and a /tmp/intracellular-<uid> planted by someone else
    are skipped; the fallback is a new 0700 directory with an unpredictable name."""
    monkeypatch.delenv("INTRACELLULAR_CACHE_DIR", raising=False)
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    monkeypatch.setattr(sparse_lu, "_PROCESS_DIR", [])
    for planted in (tmp_path / "xdg" / "intracellular",
                    tmp_path / "tmp" / f"intracellular-{os.getuid()}"):
        planted.mkdir(parents=True)
        planted.chmod(0o777)
    chosen = cache_dir()
    assert chosen.parent == tmp_path / "tmp"
    assert chosen.name.startswith("intracellular-") and chosen.name != f"intracellular-{os.getuid()}"
    st = chosen.stat()
    assert st.st_uid == os.getuid() and stat.S_IMODE(st.st_mode) == 0o700
    assert cache_dir() == chosen  # one directory per process


def test_the_default_dir_is_created_private(tmp_path, monkeypatch):
    monkeypatch.delenv("INTRACELLULAR_CACHE_DIR", raising=False)
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    chosen = cache_dir()
    assert chosen == tmp_path / "xdg" / "intracellular"
    assert stat.S_IMODE(chosen.stat().st_mode) == 0o700


def test_the_cli_reports_an_unsafe_cache_dir_without_a_traceback(tmp_path):
    """In a fresh process (no module cached in memory), ``abm run`` with a world-writable
    INTRACELLULAR_CACHE_DIR fails with one message naming the variable."""
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    env = {**os.environ, "INTRACELLULAR_CACHE_DIR": str(shared)}
    scenario = Path(__file__).resolve().parents[2] / "scenarios" / "quickstart.toml"
    proc = subprocess.run(
        [sys.executable, "-m", "abm", "run", str(scenario), "--out", str(tmp_path / "r.h5"),
         "--days", "0.25", "--set", "grid.nx=32", "--set", "grid.ny=32",
         "--set", "tumor.radius_um=80.0", "--set", "output.figure=false", "--no-progress"],
        capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 2  # a user setting, reported before anything is written
    assert not (tmp_path / "r.h5").exists()
    assert "INTRACELLULAR_CACHE_DIR" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not list(shared.iterdir())  # nothing was written into it
