"""The Moore neighbourhood of a lattice site, declared once for every kernel that visits
neighbours (shedding clusters, immune headings, recruitment and contact)."""
import numpy as np

MOORE_X = np.array([1, 1, 0, -1, -1, -1, 0, 1], dtype=np.int64)
MOORE_Y = np.array([0, 1, 1, 1, 0, -1, -1, -1], dtype=np.int64)
"""Offsets (sites) of the 8 neighbours, counter-clockwise from +x (even index: orthogonal,
odd: diagonal). The order is part of the outputs: scans and draws follow it."""
