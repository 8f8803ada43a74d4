"""Immune cells in the tissue: CD8 T and NK cells enter from vessels, walk up the chemokine
and kill tumour cells: :mod:`abm.immune.layer` steps them with the rules of
:mod:`abm.immune.kernels` over :mod:`abm.immune.table`, parameters in :mod:`abm.immune.params`."""
