"""How colours look to dichromats, and how far apart two colours are: the check behind the
project's colour choices (:mod:`abm.viz.style`).

- :func:`simulate`: sRGB colours as seen with protanopia, deuteranopia or tritanopia, by
  the severity-1.0 matrices of Machado, Oliveira & Fernandes (2009), "A physiologically-based
  model for simulation of color vision deficiency", IEEE TVCG 15(6):1291–1298, Table 1
  (applied to linear RGB, as the paper's model is);
- :func:`delta_e`: the CIE 1976 colour difference ΔE*ab (CIELAB, D65 white), where ≈ 2.3 is
  a just-noticeable difference (Sharma 2003, Digital Color Imaging Handbook).
"""
from __future__ import annotations

import numpy as np
from matplotlib.colors import to_rgb

MACHADO_2009 = {
    "protanopia": np.array([[0.152286, 1.052583, -0.204868],
                            [0.114503, 0.786281, 0.099216],
                            [-0.003882, -0.048116, 1.051998]]),
    "deuteranopia": np.array([[0.367322, 0.860646, -0.227968],
                              [0.280085, 0.672501, 0.047413],
                              [-0.011820, 0.042940, 0.968881]]),
    "tritanopia": np.array([[1.255528, -0.076749, -0.178779],
                            [-0.078411, 0.930809, 0.147602],
                            [0.004733, 0.691367, 0.303900]]),
}
"""Machado et al. (2009) Table 1, severity 1.0: linear RGB → linear RGB as a dichromat sees it."""

VISIONS = ("normal", *MACHADO_2009)

_SRGB_TO_XYZ = np.array([[0.4124564, 0.3575761, 0.1804375],
                         [0.2126729, 0.7151522, 0.0721750],
                         [0.0193339, 0.1191920, 0.9503041]])
"""IEC 61966-2-1 (sRGB) primaries, D65 white."""
_D65 = _SRGB_TO_XYZ.sum(axis=1)


def linear_rgb(colours) -> np.ndarray:
    """sRGB colours (matplotlib colour specs, or an ``[n, 3]`` array in 0–1) → linear RGB
    ``[n, 3]`` (IEC 61966-2-1 transfer function)."""
    rgb = np.array([to_rgb(c) for c in colours]) if not isinstance(colours, np.ndarray) \
        else np.asarray(colours, dtype=np.float64).reshape(-1, 3)
    return np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)


def simulate(colours, vision: str) -> np.ndarray:
    """Linear RGB ``[n, 3]`` of ``colours`` as seen with ``vision`` (:data:`VISIONS`),
    clipped to the displayable 0–1 (as the paper does for display)."""
    lin = linear_rgb(colours)
    if vision == "normal":
        return lin
    return np.clip(lin @ MACHADO_2009[vision].T, 0.0, 1.0)


def lab(lin: np.ndarray) -> np.ndarray:
    """CIELAB ``[n, 3]`` (L* 0–100) of linear RGB colours ``[n, 3]`` (D65 white)."""
    xyz = lin @ _SRGB_TO_XYZ.T / _D65
    eps, kappa = 216 / 24389, 24389 / 27
    f = np.where(xyz > eps, np.cbrt(xyz), (kappa * xyz + 16) / 116)
    return np.column_stack([116 * f[:, 1] - 16, 500 * (f[:, 0] - f[:, 1]),
                            200 * (f[:, 1] - f[:, 2])])


def delta_e(colours, vision: str = "normal") -> np.ndarray:
    """Pairwise ΔE*ab ``[n, n]`` between ``colours`` as seen with ``vision``."""
    points = lab(simulate(colours, vision))
    return np.linalg.norm(points[:, None, :] - points[None, :, :], axis=-1)

