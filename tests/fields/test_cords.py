"""Viable tumour cords around vessels (a prediction, nothing was fitted to it): with tissue O2
consumption from Vaupel et al. 1989 and Michaelis–Menten respiration, cells survive within
~100–250 µm of a vessel (Thomlinson & Gray 1955: viable cords ~100–180 µm; pO2 < 5 mmHg at
~140 µm, Cárdenas-Navia et al. 2006 Cancer Res 66:2219) and necrosis never touches a vessel."""
import numpy as np
from scipy import ndimage

from abm.model import TumorModel
from abm.tumor.cells import PHASES


def test_viable_cells_form_cords_around_vessels(tiny_config):
    """A tumour filling a 1.3 mm tissue with vessels ~400 µm apart, 3 days: the viable cells'
    95th-percentile distance to the nearest vessel lies in 100–250 µm, necrotic cells exist
    and none lies within 50 µm (three sites) of a vessel."""
    model = TumorModel(tiny_config("grid.nx=80", "grid.ny=80", "run.days=3.0",
                                   "vessels.pattern=random", "vessels.density_per_mm2=6.0",
                                   "vessels.min_spacing_um=300.0", "tumor.radius_um=650.0"),
                       seed=3)
    model.run_steps(720)
    cells = model.cells
    rows = cells.live_rows()
    distance = ndimage.distance_transform_edt(~model.vessels) * model.dx_um
    d = distance[cells.y[rows], cells.x[rows]]
    phase = cells.phase[rows]
    viable = (phase != PHASES["necrotic"]) & (phase != PHASES["apoptotic"])
    necrotic = phase == PHASES["necrotic"]
    assert necrotic.sum() > 50 and viable.sum() > 500
    assert 100.0 <= np.percentile(d[viable], 95) <= 250.0
    assert d[necrotic].min() >= 50.0
