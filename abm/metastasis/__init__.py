"""The secondary site: a second tissue in the same run, where CTC units that arrest in its
capillaries extravasate with the state they carried and stay solitary and dormant or grow
into micro- and macrometastases (:mod:`abm.metastasis.site`, process
:mod:`abm.metastasis.process`, config ``[secondary]``)."""
