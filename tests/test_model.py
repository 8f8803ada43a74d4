"""TumorModel: lattice invariants, determinism, and the placeholder rules against their
analytic timelines."""
from __future__ import annotations

import numpy as np
import pytest

from abm import TumorModel
from abm.core.agents import TumorCell
from abm.tumor.cells import PHASES


def check_invariants(model: TumorModel) -> None:
    """Every live row sits on its site, every occupied site points back, no cell on a vessel."""
    c = model.cells
    live = c.live_rows()
    assert np.array_equal(model.occupancy[c.y[live], c.x[live]], live)
    assert (model.occupancy >= 0).sum() == c.count == len(live)
    assert not model.vessels[c.y[live], c.x[live]].any()
    assert len(np.unique(c.id[live])) == len(live)
    if model.agents_mirror is not None:
        agents = model.agents_by_type.get(TumorCell, [])
        assert len(agents) == c.count
        for agent in list(agents)[:50]:
            assert c.alive[agent.row] and agent.site == (c.x[agent.row], c.y[agent.row])


def test_growth_keeps_invariants_and_counts_add_up(tiny_config):
    model = TumorModel(tiny_config())
    n0 = model.cells.count
    for _ in range(4):
        model.run_steps(30)
        check_invariants(model)
    counts = model.counts
    assert counts["n_tumor"] > n0
    assert sum(counts[f"n_{p}"] for p in PHASES) == counts["n_tumor"]
    assert model.time_min == pytest.approx(120 * model.dt_min)
    frame = model.datacollector.get_model_vars_dataframe()
    assert len(frame) == 121 and frame["n_tumor"].iloc[-1] == counts["n_tumor"]
    births = model.cells.next_id - n0
    assert births == frame["divisions"].sum()


def test_same_seed_same_state_other_seed_differs(tiny_config):
    def final_state(seed):
        model = TumorModel(tiny_config("vessels.pattern=random", "vessels.density_per_mm2=40.0",
                                       "vessels.min_spacing_um=60.0"), seed=seed)
        model.run_steps(60)
        return model.snapshot()
    a, b, c = final_state(1), final_state(1), final_state(2)
    for key in a:
        assert np.array_equal(np.asarray(a[key]), np.asarray(b[key])), key
    assert not np.array_equal(a["tissue.vessels"], c["tissue.vessels"])
    assert not np.array_equal(a["fields.oxygen"], c["fields.oxygen"])


def test_anoxia_arrests_then_necrosis_after_the_energy_reserve_runs_out(tiny_config):
    """Placeholder program. No vessels: O2 = 0, ATP = glycolytic 0.3 < demand 0.5, so E falls 0.2/τ per hour from 1
    and hits 0 after τ/0.2 = 30 h; debris clears 48 h later."""
    model = TumorModel(tiny_config("vessels.pattern=none", "run.days=4.0", "cells.program=placeholder"))
    cyc, cells = model.config.cycle, model.config.cells
    onset_h = cells.energy_time_h / (cyc.atp_demand - cyc.glycolytic_atp)
    assert onset_h == pytest.approx(30.0)
    n0 = model.cells.count
    model.step()
    assert model.counts["n_quiescent"] == n0 and model.counts["divisions"] == 0
    model.run_steps(round(onset_h * 10) - 2)
    assert model.counts["n_necrotic"] == 0
    model.run_steps(3)
    assert model.counts["n_necrotic"] == n0
    model.run_steps(round(cells.necrotic_clearance_h * 10) - 3)
    assert model.cells.count == n0
    model.run_steps(3)
    assert model.cells.count == 0 and len(model.agents_by_type.get(TumorCell, [])) == 0
    assert all(s.sink.sum() == 0 and (s.vmax is None or s.vmax.sum() == 0)
               for s in model.solutes.values())


def test_isolated_cells_divide_at_the_configured_rate(tiny_config, tmp_path):
    """Placeholder program. Founders start at a uniform cycle progress, so over t hours a fraction
    E[min(1, t·f/T)] ≈ t·f·E[1/T] of them divides (f = O2/(K + O2) ≈ 0.98 here)."""
    mask = np.zeros((120, 120), dtype=np.uint8)
    mask[3::6, 3::6] = 1
    np.save(tmp_path / "sparse.npy", mask)
    model = TumorModel(tiny_config("grid.nx=120", "grid.ny=120", "vessels.array_spacing_um=50.0",
                                   "tumor.seed_pattern=mask", f"tumor.mask_file={str(tmp_path / 'sparse.npy')!r}",
                                   "metabolism.o2_uptake_mmHg_per_min=0.0", "cells.program=placeholder"))
    n0 = model.cells.count
    model.run_steps(80)  # 8 h
    c = model.cells
    o2 = c.oxygen[c.live_rows()].mean()
    cyc = model.config.cycle
    sigma2 = np.log1p(cyc.cycle_time_cv ** 2)
    expected = 8.0 * o2 / (cyc.o2_half_mmHg + o2) * np.exp(sigma2 / 2) / cyc.cycle_time_h
    observed = (c.count - n0) / n0
    assert abs(observed - expected) < 4 * np.sqrt(expected * (1 - expected) / n0), (observed, expected)
