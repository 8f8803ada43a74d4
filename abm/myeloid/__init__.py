"""Neutrophils and platelets as agents in the tissue (step 7b, after the immune cells):
neutrophils enter from vessels up the chemokine, walk, secrete IL-6/IL-1β, cast NETs under
inflammation and escort shed tumour cells into the blood; platelet aggregates adhere at
vessel walls next to tumour cells, release TGF-β (EMT) and cloak the units shed next to
them. At a secondary site the same agents run in its tissue, and NETs there raise the
arrest and extravasation of CTCs and awaken dormant cells. Config: ``[neutrophils]``,
``[platelets]`` (:mod:`abm.myeloid.sections`); docs/myeloid.md.
"""
