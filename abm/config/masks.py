"""Mask files (``vessels.mask_file``, ``tumor.mask_file``): reading and checking them.

A mask is a ``.npy`` array (nonzero = set) or a ``.png`` image (bright = set: above half the
image's maximum) of shape ``(ny, nx)``. PNG rows are stored top-down; they are flipped so that
image-up is +y, as plots show it. The config loader checks a mask (:func:`check_mask`) before
anything runs, reading only its header where that is enough to refuse it.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from abm.errors import ConfigError

SUFFIXES = (".npy", ".png")


def load_mask(path: str, shape: tuple[int, int], key: str) -> np.ndarray:
    """Read a boolean ``[y, x]`` mask of ``shape`` (ny, nx) from ``path``.

    Raises ConfigError naming ``key`` and ``path`` for a missing, unreadable or garbage file,
    another suffix, another shape or dtype, or NaN/inf pixels.
    """
    where = f"{key} = {path!r}"
    suffix = Path(path).suffix.lower()
    if suffix not in SUFFIXES:
        raise ConfigError(f"{where}: must be a .npy or .png file")
    try:
        if not Path(path).exists():
            raise ConfigError(f"{where}: file does not exist")
        if not Path(path).is_file():
            raise ConfigError(f"{where}: not a regular file")
    except OSError as exc:  # e.g. a name too long for the file system
        raise ConfigError(f"{where}: cannot be read ({exc.strerror or exc})") from None
    values = _read_npy(path, shape, where) if suffix == ".npy" else _read_png(path, shape, where)
    if values.dtype.kind == "f" and not np.isfinite(values).all():
        n_bad = int(np.count_nonzero(~np.isfinite(values)))
        raise ConfigError(f"{where}: {n_bad} pixel(s) are NaN or inf; a mask holds finite "
                          "numbers (nonzero = set)")
    if suffix == ".npy":
        mask = values != 0
    else:
        top = values.max() if values.size else 0
        mask = np.flipud(values > 0.5 * top) if top > 0 else values > 0
    return np.ascontiguousarray(mask, dtype=np.bool_)


def check_mask(path: str, shape: tuple[int, int], key: str, need_sites: bool = False) -> None:
    """Raise ConfigError if :func:`load_mask` refuses the file, or if ``need_sites`` and the
    mask sets no site."""
    mask = load_mask(path, shape, key)
    if need_sites and not mask.any():
        raise ConfigError(f"{key} = {path!r}: the mask sets no site (every pixel is 0 or dark); "
                          "the initial tumour needs at least one")


def _shape_problem(found: tuple, shape: tuple[int, int], where: str) -> ConfigError:
    return ConfigError(f"{where}: mask has shape {found}, the grid needs (ny, nx) = {shape}")


def _read_npy(path: str, shape: tuple[int, int], where: str) -> np.ndarray:
    """The array of a .npy file; its header is checked before the data are read."""
    try:
        header = np.load(path, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:  # not a .npy, truncated, object array
        raise ConfigError(f"{where}: not a readable .npy array ({exc})") from None
    if header.dtype.kind not in "biuf":
        raise ConfigError(f"{where}: mask dtype {header.dtype} is not numeric (bool, integer or "
                          "float)")
    if header.shape != shape:
        raise _shape_problem(header.shape, shape, where)
    return np.asarray(header)


def _read_png(path: str, shape: tuple[int, int], where: str) -> np.ndarray:
    """Grey values of a .png (mean of RGB); its size is checked before it is decoded."""
    from PIL import Image

    try:
        with Image.open(path) as image:
            if image.format != "PNG":
                raise ConfigError(f"{where}: the file is {image.format or 'not an image'}, "
                                  "not a PNG")
            width, height = image.size
            if (height, width) != shape:
                raise _shape_problem((height, width), shape, where)
            import matplotlib.image

            values = np.asarray(matplotlib.image.imread(path), dtype=float)
    except ConfigError:
        raise
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise ConfigError(f"{where}: not a readable PNG image ({exc})") from None
    return values[..., :3].mean(axis=2) if values.ndim == 3 else values
