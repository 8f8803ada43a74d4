"""Every shipped scenario runs end to end as a user would run it (slow: `pytest -m slow`); and,
fast, every scenario script writes names a single run never writes and refuses to replace an
existing file without --overwrite, checked before anything runs or is written."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import runpy
import struct

import h5py
import numpy as np
import pytest

from abm import load_config, load_run
from abm.runner import output_path
from abm.study.script_outputs import comparison_file
from abm.viz.journal import PNG_DPI

ROOT = Path(__file__).resolve().parents[1]
DOCS_COPY = {"spheroid": "spheroid.png", "immune_pdl1": "immune_pdl1.png",
             "ctc_circadian": "ctc_circadian.png", "senescence_sasp": "senescence_sasp.png",
             "sbml_cell_cycle": "sbml_cell_cycle.png", "metastasis": "metastasis.png",
             "myeloid": "myeloid.png", "hypoxia_switch": None}
"""Every scenario script and the docs/ copy of its figure (``--docs``; None: it has none)."""


def _run(args, tmp_path, timeout=900):
    env = dict(os.environ, MPLBACKEND="agg")
    result = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=timeout)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "figure layout" not in result.stderr, result.stderr[-2000:]
    return result


def _png_width_in(path: Path) -> float:
    """A PNG's width in inches at the scripts' dpi, read from its IHDR chunk (bytes 16–20:
    width in pixels, big-endian)."""
    with open(path, "rb") as f:
        head = f.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">I", head[16:20])[0] / PNG_DPI


def _assert_comparison_figure(out: Path, min_bytes: int) -> None:
    """The script's figure is at ``<stem>_comparison.png``, two journal columns (183 mm)
    wide."""
    figure = comparison_file(out)
    assert figure.stat().st_size > min_bytes
    assert _png_width_in(figure) == pytest.approx(183 / 25.4, abs=1.0 / PNG_DPI)  # 183 mm
    assert not out.with_suffix(".png").exists()  # the name of a single run's figure


@pytest.mark.slow
@pytest.mark.calibration
def test_quickstart_writes_a_run_and_a_figure(tmp_path):
    out = tmp_path / "quickstart.h5"
    _run(["-m", "abm", "run", "scenarios/quickstart.toml", "--out", str(out), "--no-progress"], tmp_path)
    assert out.with_suffix(".png").stat().st_size > 50_000
    with load_run(out) as run:
        series = run.timeseries
        assert series["n_tumor"].iloc[-1] >= 10_000  # issue #2: ≥ 10,000 cells in 10–14 days
        assert series["hypoxic_fraction"].iloc[-1] > 0.3
        assert series["n_dormant"].iloc[-1] > 0 and series["n_proliferating"].iloc[-1] > 0
        # docs/targets.md: proliferating rim → dormant hypoxic layer → necrosis where energy fails
        # (glucose and O2 both low), in that order from the edge inwards.
        assert series["n_necrotic"].iloc[-1] > 0
        cells = run.cells()
        assert cells["glucose"].min() < 0.7 and "glucose" in run.field_names
        r = np.hypot(cells["x"] - cells["x"].mean(), cells["y"] - cells["y"].mean())
        radius = {p: r[cells["phase"] == p].median()
                  for p in ("proliferating", "dormant", "necrotic")}
        assert radius["proliferating"] > radius["dormant"] > radius["necrotic"], radius


@pytest.mark.slow
def test_hypoxia_switch_writes_cultures_and_a_figure(tmp_path):
    out = tmp_path / "hypoxia_switch.h5"
    _run(["scenarios/hypoxia_switch.py", "--levels", "7.6", "--hours", "24", "--replicates", "2",
          "--workers", "2", "--out", str(out)], tmp_path)
    _assert_comparison_figure(out, 20_000)
    with h5py.File(comparison_file(out, ".h5"), "r") as f:
        assert set(f) == {"default", "hypoxia_sensitive"}
        assert {"38mmHg", "7.6mmHg"} <= set(f["default"])
        assert set(f["default/7.6mmHg"]) == {"seed1", "seed2"}
        first, second = (f[f"default/7.6mmHg/seed{k}/g0g1_fraction"][:] for k in (1, 2))
        assert first.shape[0] > 100
        assert not np.array_equal(first, second)  # replicates, not copies


@pytest.fixture(scope="module")
def senescence_arms(tmp_path_factory):
    """The four arms of senescence_sasp.py, run once: arm → time series indexed by day."""
    tmp_path = tmp_path_factory.mktemp("senescence")
    out = tmp_path / "senescence_sasp.h5"
    _run(["scenarios/senescence_sasp.py", "--out", str(out), "--replicates", "1"], tmp_path)
    _assert_comparison_figure(out, 100_000)
    series = {}
    for arm in ("untreated", "chemo", "senolytic", "senomorphic"):
        with load_run(tmp_path / f"senescence_sasp_{arm}_seed1.h5") as run:
            series[arm] = run.timeseries.set_index(run.timeseries.index / 1440.0)
    return series


@pytest.mark.slow
def test_senescence_sasp_arms(senescence_arms):
    """One chemotherapy dose on day 3 makes a therapy-induced senescent population by day 7;
    a senolytic course clears most senescent cells and their SASP; a senomorphic course
    lowers the SASP without killing a senescent cell."""
    series = senescence_arms
    chemo, senolytic, senomorphic = series["chemo"], series["senolytic"], series["senomorphic"]
    day7 = chemo.index.get_indexer([7.0], method="nearest")[0]
    assert chemo["n_senescent_therapy"].iloc[day7] > 300
    assert chemo["sasp_mean_viable"].iloc[day7] > 1.0  # above the paracrine threshold
    untreated = series["untreated"]
    assert untreated["n_senescent"].iloc[-1] < 0.1 * chemo["n_senescent"].iloc[-1]
    assert senolytic["n_senescent"].iloc[-1] < 0.2 * chemo["n_senescent"].iloc[-1]
    assert senolytic["sasp_mean_viable"].iloc[-1] < 0.2 * chemo["sasp_mean_viable"].iloc[-1]
    assert senomorphic["senolytic_deaths"].sum() == 0
    course = (chemo.index > 7.5) & (chemo.index < 12.0)
    assert (senomorphic["sasp_mean_viable"][course].mean()
            < 0.85 * chemo["sasp_mean_viable"][course].mean())


@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason="lost with saturating respiration (issue 15): the "
                   "debulked tumour reoxygenates and its dormant cells wake; days 8–11 measured "
                   "0.22 (chemo) vs 0.32 (untreated), before 0.50 vs 0.24")
def test_chemotherapy_raises_the_dormant_share(senescence_arms):
    """After a transient dip (the shrinking tumour reoxygenates and wakes dormant cells, days
    4–6), the damaged, SASP-arrested survivors with low mTORC1 go dormant: the dormant share of
    viable cells over days 8–11 exceeds the untreated tumour's."""
    untreated, chemo = senescence_arms["untreated"], senescence_arms["chemo"]
    window = (chemo.index > 8.0) & (chemo.index < 11.0)
    share = [(s["n_dormant"] / s["n_viable"])[window].mean() for s in (untreated, chemo)]
    assert share[1] > share[0] + 0.1, share


@pytest.mark.slow
def test_immune_pdl1_arms(tmp_path):
    """What issue 16 asks of the scenario, over its 5 replicate seeds per arm: with
    anti-PD-L1, 2–16 CD8 kills per CD8 per day (Halle et al. 2016) and a last-third kill
    rate ≥ a quarter of the first third's; untreated lower by more than the seeds' spread;
    about half (0.3–0.7) of the NK cells that stay ≥ 12 h kill nothing (Vanherberghen et al.
    2013); dormant cells are killed less per capita than proliferating ones."""
    out = tmp_path / "immune_pdl1.h5"
    result = _run(["scenarios/immune_pdl1.py", "--out", str(out), "--workers", "2"], tmp_path)
    assert "CD8 kills per CD8 per day" in result.stdout
    _assert_comparison_figure(out, 100_000)
    from abm.immune.analysis import kill_statistics
    stats = {arm: [kill_statistics(tmp_path / f"immune_pdl1_{arm}_seed{seed}.h5",
                                   since_min=2880.0) for seed in range(1, 6)]
             for arm in ("untreated", "anti_pdl1")}
    rate = {arm: np.array([s["kills_per_cd8_day"] for s in runs]) for arm, runs in stats.items()}
    assert 2.0 <= rate["anti_pdl1"].mean() <= 16.0
    spread = rate["anti_pdl1"].std() + rate["untreated"].std()
    assert rate["untreated"].mean() < rate["anti_pdl1"].mean() - 3 * spread
    for s in stats["anti_pdl1"]:
        first, _, last = s["kills_per_cd8_day_thirds"]
        assert last >= 0.25 * first
    none = np.mean([s["nk_none_share"] for runs in stats.values() for s in runs])
    assert 0.3 <= none <= 0.7
    for s in stats["untreated"]:
        rates = s["per_capita_per_day"]
        assert rates["dormant"] < rates["proliferating"]


CTC_SEEDS = (1, 2)
"""Replicate seeds of the CTC scenario: its seeding ratios rest on a few seeds and ~100
clusters per arm, so one seed moves them by ±0.15 (seed 1: digoxin 0.80× per cluster, platelet
inhibitor 0.76× per single; seed 2: 0.96× and 0.57×); the checks use the seeds' means."""
CTC_ARMS = ("control", "jet_lag", "platelet_inhibitor", "digoxin", "control_no_nk",
            "platelet_inhibitor_no_nk")


@pytest.fixture(scope="module")
def ctc_arms(tmp_path_factory):
    """The arms of ctc_circadian.py with the seeds of CTC_SEEDS, run on 2 local workers:
    seed → arm → run file."""
    tmp_path = tmp_path_factory.mktemp("ctc")
    out = tmp_path / "ctc_circadian.h5"
    result = _run(["scenarios/ctc_circadian.py", "--seeds", *map(str, CTC_SEEDS),
                   "--workers", "2", "--out", str(out)], tmp_path, timeout=1800)
    assert "expected seeds per single" in result.stdout
    _assert_comparison_figure(out, 100_000)
    return {seed: {arm: tmp_path / f"ctc_circadian_{arm}_seed{seed}.h5" for arm in CTC_ARMS}
            for seed in CTC_SEEDS}


@pytest.mark.slow
def test_ctc_circadian_arms(ctc_arms):
    """The blood therapies and the jet lag act in the model as the blood's rules say
    (test_blood.py checks the rules themselves), in the mean of CTC_SEEDS: a 6-h flight west
    lowers the 04:00 draws; a platelet inhibitor lowers seeding per shed cell with NK killing
    on and changes no fate with it off; digoxin lowers the share of circulating units that
    are clusters and the seeding per shed cluster."""
    from abm.circulation.analysis import blood_draws, seeding_by_unit

    def draws_at_4(arm):
        means = []
        for paths in ctc_arms.values():
            d = blood_draws(paths[arm], 4.0)
            means.append(d[d["day"].between(1, 3)]["n_ctc_cells"].mean())
        return np.mean(means)

    assert draws_at_4("jet_lag") < 0.6 * draws_at_4("control")
    by_seed = [{arm: seeding_by_unit(p) for arm, p in paths.items()} for paths in ctc_arms.values()]

    def mean(arm, key):
        return np.mean([stats[arm][key] for stats in by_seed])

    assert min(stats["control"]["n_units"] for stats in by_seed) > 1000
    # singles, which circulate longest, lose most (6-day run, seeds 1–2: 0.65× per single)
    assert mean("platelet_inhibitor", "expected_per_single") < 0.75 * mean("control", "expected_per_single")
    assert mean("platelet_inhibitor", "expected_per_cell") < 0.9 * mean("control", "expected_per_cell")
    # without NK killing the cloak protects from nothing: the same fates, unit for unit
    for paths in ctc_arms.values():
        with load_run(paths["control_no_nk"]) as a, load_run(paths["platelet_inhibitor_no_nk"]) as b:
            ctc_a, ctc_b = a.events("ctc"), b.events("ctc")
        assert ctc_a.drop(columns="platelets").equals(ctc_b.drop(columns="platelets"))
        assert ctc_b["platelets"].mean() < 0.5 * ctc_a["platelets"].mean()
    assert (mean("digoxin", "cluster_fraction_circulating")
            < 0.6 * mean("control", "cluster_fraction_circulating"))
    assert mean("digoxin", "expected_per_cluster") < 0.9 * mean("control", "expected_per_cluster")


@pytest.mark.slow
def test_metastasis_tells_its_story(tmp_path):
    """What issue 17 asks of the scenario, on seed 1 (the figure shows 3 seeds): the hypoxic
    share of shed clusters exceeds that of single CTCs (Donato et al. 2020); disseminated
    cells that carried hypoxia are dormant more often than those that did not (Fluegen et al.
    2017); most arrested cells extravasate, and many more stay solitary and dormant than form
    micrometastases, and more form micro- than macrometastases (Luzzi et al. 1998's order);
    a resection removes the primary and the site keeps its cells."""
    out = tmp_path / "metastasis.h5"
    result = _run(["scenarios/metastasis.py", "--out", str(out), "--seeds", "1",
                   "--workers", "2"], tmp_path)
    assert "hypoxic share of clusters" in result.stdout
    _assert_comparison_figure(out, 100_000)
    from abm.io import load_run
    from abm.metastasis.analysis import arrested_fates, dtc_dormancy, hypoxic_shedding

    control = tmp_path / "metastasis_control_seed1.h5"
    shedding = hypoxic_shedding(control)
    assert shedding["hypoxic_cluster_share"] > shedding["hypoxic_single_share"]
    assert dtc_dormancy(control)["ratio"] > 1.0
    day3, day13 = arrested_fates(control, 72.0), arrested_fates(control, 312.0)
    assert 1.0 - day3["died_in_capillary"] > 0.7
    assert day13["solitary_dormant"] > day3["micrometastases"]
    assert day13["solitary_dormant"] > day13["micrometastases"] > day13["macrometastases"]
    with load_run(tmp_path / "metastasis_resection_seed1.h5") as run:
        series = run.timeseries
        site = run.site("secondary").timeseries
    assert series["n_tumor"].iloc[-1] == 0 and site["n_tumor"].iloc[-1] > 0


@pytest.mark.slow
def test_myeloid_tells_its_story(tmp_path):
    """What issue 22 asks of the scenario, on seed 1 (the figure and docs/myeloid.md show 3
    seeds): neutrophil depletion lowers the share of shed units escorted by neutrophils; an
    inflammation pulse at the secondary site awakens more of its dormant cells, and DNase I
    prevents it (Albrengues et al. 2018); aspirin lowers EMT next to vessels and
    extravasation (its effect on shedding is within the seeds' noise: docs/myeloid.md)."""
    out = tmp_path / "myeloid.h5"
    result = _run(["scenarios/myeloid.py", "--out", str(out), "--seeds", "1", "--workers", "2"],
                  tmp_path, timeout=3600)
    assert "units escorted when shed" in result.stdout
    _assert_comparison_figure(out, 100_000)
    from abm.myeloid.analysis import awakening, escort_shares, extravasation_share, perivascular

    run = {arm: tmp_path / f"myeloid_{arm}_seed1.h5" for arm in
           ("control", "depletion", "inflammation", "inflammation_dnase", "antiplatelet")}
    control, depleted = escort_shares(run["control"]), escort_shares(run["depletion"])
    assert depleted["tissue_escort_share"] < 0.5 * control["tissue_escort_share"]
    assert depleted["escort_share"] < 0.5 * control["escort_share"]
    woken = {arm: awakening(run[arm], 14 * 24.0, 7 * 24.0)
             for arm in ("control", "inflammation", "inflammation_dnase")}
    assert woken["inflammation"] > woken["control"]
    assert woken["inflammation_dnase"] < woken["inflammation"]
    assert perivascular(run["antiplatelet"])["emt"] < perivascular(run["control"])["emt"]
    assert extravasation_share(run["antiplatelet"]) < extravasation_share(run["control"])


@pytest.mark.slow
def test_sbml_cell_cycle_tells_its_story(tmp_path):
    """What issue 18 asks of the scenario, on seed 1 (the figure shows 3 seeds): the BioModels
    SBML network drives every cell's division, the tissue divides in waves one period of the
    network apart (the network alone, simulated at the normoxic GF), and well-oxygenated free
    cells divide while cells below the oscillation's GF threshold (~2–3 mmHg) mostly do not."""
    sys.path.insert(0, str(ROOT / "scenarios"))
    import sbml_cell_cycle as scenario

    out = tmp_path / "cycle.h5"
    result = _run(["scenarios/sbml_cell_cycle.py", "--out", str(out), "--seeds", "1"],
                  tmp_path, timeout=1800)
    assert "interval between division waves" in result.stdout
    run = tmp_path / "cycle_tissue_seed1.h5"
    from abm.schema import config_from_toml

    with load_run(run) as stored:
        predicted = scenario.prediction(config_from_toml(stored.config_toml))
    assert scenario.wave_interval(run) == pytest.approx(predicted["period_h"], rel=0.05)
    rates = scenario.division_rates(run)
    high = rates[scenario.O2_EDGES[:-1] >= 8.0]
    low = rates[scenario.O2_EDGES[1:] <= 2.0]
    assert np.all(high > 0.5) and np.all(high <= predicted["bins"][-1])
    assert np.nanmean(low) < 0.5 * np.nanmean(high)


@pytest.mark.parametrize("script", DOCS_COPY)
def test_a_script_writes_what_a_single_run_never_writes(script):
    """``abm run scenarios/<script>.toml`` writes output.path's file and its .png; the script,
    with that same path as --out, writes its figure (and the hypoxia cultures) under
    ``_comparison`` and its runs under ``_seed<k>``: no name in common."""
    toml = "metastasis" if script == "myeloid" else script  # myeloid.py runs metastasis.toml
    config = load_config(ROOT / "scenarios" / f"{toml}.toml")
    single = output_path(config)
    run_names = {single.name, single.with_suffix(".png").name}
    script_names = {comparison_file(single).name, comparison_file(single, ".h5").name,
                    f"{single.stem}_summary.csv", f"{single.stem}_summary.h5",
                    f"{single.stem}_seed1.h5", f"{single.stem}_control_seed1.h5"}
    assert not run_names & script_names


def _script(script: str, argv: list[str], capsys) -> tuple[int, str]:
    """Run ``scenarios/<script>.py`` in this process as from the command line: its exit code
    and what it wrote to stderr."""
    old = sys.argv
    sys.argv = [f"{script}.py", *argv]
    try:
        runpy.run_path(str(ROOT / "scenarios" / f"{script}.py"), run_name="__main__")
        code = 0
    except SystemExit as stop:
        code = stop.code
    finally:
        sys.argv = old
    return code, capsys.readouterr().err


@pytest.mark.parametrize("script", DOCS_COPY)
def test_a_script_refuses_to_replace_a_figure_before_anything_runs(script, tmp_path, capsys):
    """An existing comparison figure is refused without --overwrite (exit 2, naming it),
    before any run starts or any file is written; it keeps its contents."""
    out = tmp_path / "x.h5"
    figure = comparison_file(out)
    figure.write_bytes(b"an earlier figure")
    short = ["--hours", "1"] if script == "hypoxia_switch" else ["--days", "0.1"]
    code, err = _script(script, ["--out", str(out), "--seeds", "1", *short], capsys)
    assert code == 2
    assert f"{str(figure)!r} exists; pass --overwrite" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == [figure.name]
    assert figure.read_bytes() == b"an earlier figure"


@pytest.mark.parametrize("script", [s for s, docs in DOCS_COPY.items() if docs])
def test_the_docs_copy_is_refused_without_overwrite(script, tmp_path, capsys):
    """``--docs`` never replaces the figure in docs/ without --overwrite; ``--replot`` runs
    nothing and names the run files it lacks."""
    docs = ROOT / "docs" / DOCS_COPY[script]
    before = docs.read_bytes()
    out = tmp_path / "x.h5"
    code, err = _script(script, ["--out", str(out), "--seeds", "1", "--replot", "--docs"],
                        capsys)
    assert code == 2 and f"{str(docs)!r} exists; pass --overwrite" in err
    assert docs.read_bytes() == before
    code, err = _script(script, ["--out", str(out), "--seeds", "1", "--replot"], capsys)
    assert code == 2 and "--replot: no run file" in err and "x_" in err
    assert not any(tmp_path.iterdir())


def test_a_summary_is_refused_without_overwrite_even_with_reuse(tmp_path, capsys):
    """--reuse keeps complete runs but replaces no summary without --overwrite."""
    out = tmp_path / "x.h5"
    summary = tmp_path / "x_summary.csv"
    summary.write_text("run,arm,seed,status,error,file,seconds\n")
    code, err = _script("spheroid", ["--out", str(out), "--seeds", "1", "--days", "0.1",
                                     "--reuse"], capsys)
    assert code == 2 and f"{str(summary)!r} exists; pass --overwrite" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == [summary.name]
