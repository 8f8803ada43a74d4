"""Tumour cells: the cell table, the tissue they start in, the lattice events (division,
removal), the per-cell state (PD-L1, stemness, DNA damage) and the fate programs."""
