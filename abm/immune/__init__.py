"""Immune cells in the tissue: CD8 T and NK cells enter from vessels, walk up the chemokine
and kill tumour cells (:mod:`abm.immune.layer`)."""
