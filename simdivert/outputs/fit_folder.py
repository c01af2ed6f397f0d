"""A fit from start to finish in its folder: waves resumed, the rest run, tables written.

::

    <out>/manifest.json          the fit: its hash, settings, waves, runs, versions
    <out>/waves/wave-N/          one sweep folder per wave: a cell file per finished run
    <out>/waves.parquet          every run: wave, point, inputs, outputs, implausibility
    <out>/parameter_sets.parquet the final wave's non-implausible parameter sets
    <out>/targets.csv, fit.md    per target: fitted or held out (and as what), intervals, pass
    <out>/figures/               implausibility by wave, marginals (written by reporting)

Each wave's runs are saved as they finish, as a sweep's cells are
(:class:`~simdivert.outputs.sweep_folder.SweepFolder`); the design of wave N depends
only on the fit (its hash) and the runs of the waves before, which are reread, so a
rerun of the same command redoes nothing already saved and runs exactly what is
missing. A folder of a different fit (changed targets, scenario, priors or settings)
is refused unless ``fresh``.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simdivert.clock import utc_now
from simdivert.errors import UserError
from simdivert.experiments.executors import Executor
from simdivert.experiments.fit_plan import (
    FitPlan,
    checks_table,
    markdown_checks,
    point_values,
)
from simdivert.experiments.history_matching import Fit, history_match, ranked
from simdivert.experiments.sweep_runner import SweepProgress, run_cells
from simdivert.experiments.uncertainty import unit_sample, values_at
from simdivert.outputs.fit_files import (
    CHECKS_FILE,
    EMULATOR_IMPLAUSIBILITY,
    FIGURES_DIR,
    FIT_KIND,
    I_PREFIX,
    IMPLAUSIBILITY,
    KEPT,
    MANIFEST,
    POINT_COLUMN,
    SUMMARY_FILE,
    WAVE_COLUMN,
    WAVES_DIR,
    WAVES_FILE,
)
from simdivert.outputs.folders import check_writable, json_writer, write_atomically
from simdivert.outputs.manifest import Provenance, build_manifest, package_versions
from simdivert.outputs.parameter_sets import PARAMETER_SETS_FILE, write_parameter_sets
from simdivert.outputs.sweep_folder import SweepFolder
from simdivert.scenario.uncertainty import SET_COLUMN


@dataclass(frozen=True)
class FitOutcome:
    """What a fit did: its tables, why it stopped, and how many runs it found saved."""

    folder: Path
    waves: pd.DataFrame
    parameter_sets: pd.DataFrame
    checks: pd.DataFrame
    stopped: str
    runs_before: int  # cells (a scenario's replications at a point) saved before
    runs_now: int  # cells run by this call
    markdown: str


def run_fit(
    plan: FitPlan,
    out: Path,
    executor: Executor,
    fresh: bool = False,
    provenance: Provenance | None = None,
    on_wave: Callable[[int, int, int], None] | None = None,
    on_progress: Callable[[SweepProgress], None] | None = None,
    on_note: Callable[[str], None] | None = None,
    force: bool = False,
) -> FitOutcome:
    """Run (or resume) the fit in ``out``; ``on_wave(wave, cells_done, cells_total)`` is
    told where each wave starts, ``on_note`` of each problem found and repaired."""
    started = utc_now()
    digest = plan.digest()
    _open(out, digest, fresh)
    write_atomically(
        out / MANIFEST,
        json_writer({"kind": FIT_KIND, "fit_digest": digest, "complete": False}),
    )
    counts = {"before": 0, "now": 0}
    clock = time.monotonic()
    seconds = {"simulation": 0.0}
    values: dict[int, pd.DataFrame] = {}

    def run_wave(number: int, unit: np.ndarray) -> np.ndarray:
        cells = plan.cells(number, unit)
        wave_digest = hashlib.sha256(f"{digest}/{number}/".encode() + unit.tobytes()).hexdigest()
        folder = SweepFolder(out / WAVES_DIR / f"wave-{number}")
        try:
            done, notes = folder.open(wave_digest, False, plan.replications)
            for note in notes:
                if on_note is not None:
                    on_note(note)
            folder.write_manifest({"sweep_digest": wave_digest, "fit_wave": number})
            missing = [cell for cell in cells if cell.index not in done]
            counts["before"] += len(cells) - len(missing)
            if on_wave is not None:
                on_wave(number, len(cells) - len(missing), len(cells))

            def save(cell: Any, table: pd.DataFrame) -> None:
                folder.save_cell(cell.index, table, wave_digest)
                counts["now"] += 1

            ran = time.monotonic()
            run_cells(
                missing,
                plan.replications,
                plan.settings.seed,
                executor,
                save,
                on_progress=on_progress,
                force=force,
            )
            seconds["simulation"] += time.monotonic() - ran
            table = folder.read_cells(cell.index for cell in cells)
        finally:
            folder.close()
        values[number] = point_values(plan, table)
        return values[number][[t.name for t in plan.fitted]].to_numpy(float)

    first = unit_sample(len(plan.keys), plan.settings.points_per_wave, plan.settings.seed)
    fit = history_match(plan.observations(), first, run_wave, plan.settings)
    seconds["emulators_and_design"] = time.monotonic() - clock - seconds["simulation"]
    waves = waves_table(plan, fit, values)
    final = waves[(waves[WAVE_COLUMN] == fit.waves[-1].number) & waves[KEPT]]
    sets = final[[WAVE_COLUMN, POINT_COLUMN, *plan.keys, IMPLAUSIBILITY]].reset_index(drop=True)
    sets.index.name = SET_COLUMN
    checks = checks_table(plan, waves[waves[WAVE_COLUMN] == 1], final)
    markdown = markdown_checks(checks, _header(plan, fit, len(sets), started))
    summary = _summary(plan, fit, waves)
    write_atomically(out / WAVES_FILE, lambda p: waves.to_parquet(p, index=False))
    write_atomically(out / CHECKS_FILE, lambda p: checks.to_csv(p, index=False))
    write_atomically(out / SUMMARY_FILE, lambda p: p.write_text(markdown))
    if len(sets):
        write_parameter_sets(out / PARAMETER_SETS_FILE, sets)
    else:
        (out / PARAMETER_SETS_FILE).unlink(missing_ok=True)
    where = provenance or Provenance(started)
    manifest = build_manifest(
        {
            "kind": FIT_KIND,
            "fit_digest": digest,
            "complete": True,
            "scenario": plan.scenario.name,
            "scenario_file": str(plan.scenario_path),
            "arms": {name: str(path) for name, path in plan.arms.items()},
            "targets": plan.targets_source,
            "uncertain_inputs": {k: plan.scenario.uncertainty[k].describe() for k in plan.keys},
            "fitted": [t.name for t in plan.fitted],
            "held_out": [t.name for t in plan.held_out],
            "settings": asdict(plan.settings),
            "replications": plan.replications,
        },
        Provenance(started, where=where.where or executor.where(), command=where.command),
        {
            **summary,
            "cells_saved_before": counts["before"],
            "cells_run": counts["now"],
            "seconds": {**seconds, "total": time.monotonic() - clock},
        },
    )
    write_atomically(out / MANIFEST, json_writer(manifest))
    return FitOutcome(
        out, waves, sets, checks, fit.stopped, counts["before"], counts["now"], markdown
    )


def _open(out: Path, digest: str, fresh: bool) -> None:
    """Make ``out`` ready for the fit with this hash: new, or this fit's to resume."""
    if out.exists() and not out.is_dir():
        raise UserError(f"{out}: exists and is not a folder; choose another --out")
    if not out.exists():
        check_writable(out)
        out.mkdir(parents=True)
        return
    try:
        manifest = json.loads((out / MANIFEST).read_text())
    except (OSError, ValueError):
        manifest = None
    if not isinstance(manifest, dict) or manifest.get("kind") != FIT_KIND:
        if any(out.iterdir()):
            raise UserError(f"{out}: exists and is not a fit's folder; choose another --out")
        return
    if manifest.get("fit_digest") == digest:
        return
    if not fresh:
        raise UserError(
            f"{out}: holds a different fit (the targets, scenario, priors or settings "
            "changed); use --fresh to discard it, or choose another --out"
        )
    shutil.rmtree(out / WAVES_DIR, ignore_errors=True)
    shutil.rmtree(out / FIGURES_DIR, ignore_errors=True)
    for name in (WAVES_FILE, PARAMETER_SETS_FILE, CHECKS_FILE, SUMMARY_FILE, MANIFEST):
        (out / name).unlink(missing_ok=True)


def waves_table(plan: FitPlan, fit: Fit, values: dict[int, pd.DataFrame]) -> pd.DataFrame:
    """A row per run (point of a wave): its inputs, every target's value, each fitted
    target's implausibility, the ranked implausibility and the earlier waves' at it."""
    observations, settings = fit.observations, fit.settings
    frames = []
    for position, wave in enumerate(fit.waves):
        inputs = values_at(plan.scenario, wave.unit).reset_index(drop=True)
        outputs = values[wave.number].reset_index(drop=True)
        per_target = wave.run_implausibility(observations)
        frame = pd.concat([inputs, outputs], axis=1)
        frame.insert(0, POINT_COLUMN, np.arange(len(frame)))
        frame.insert(0, WAVE_COLUMN, wave.number)
        for j, observation in enumerate(observations):
            frame[I_PREFIX + observation.name] = per_target[:, j]
        frame[IMPLAUSIBILITY] = ranked(per_target, settings.cut_rank)
        earlier = [
            ranked(w.emulator_implausibility(observations, wave.unit), settings.cut_rank)
            for w in fit.waves[:position]
        ]
        frame[EMULATOR_IMPLAUSIBILITY] = np.max(earlier, axis=0) if earlier else np.nan
        frame[KEPT] = frame[IMPLAUSIBILITY] < settings.cutoff
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def _summary(plan: FitPlan, fit: Fit, waves: pd.DataFrame) -> dict[str, Any]:
    return {
        "stopped": fit.stopped,
        "waves": [
            {
                "wave": wave.number,
                "points": len(wave.unit),
                "prior_share_left": wave.kept_share,
                "runs_non_implausible": int(waves[waves[WAVE_COLUMN] == wave.number][KEPT].sum()),
                "emulator_noise_sd": {
                    o.name: float(np.sqrt(e.noise_variance))
                    for o, e in zip(fit.observations, wave.emulators, strict=True)
                },
            }
            for wave in fit.waves
        ],
        "parameter_sets": int(waves[waves[WAVE_COLUMN] == fit.waves[-1].number][KEPT].sum()),
    }


def _header(plan: FitPlan, fit: Fit, kept: int, started: str) -> list[str]:
    s = plan.settings
    points = ", ".join(str(len(w.unit)) for w in fit.waves)
    return [
        f"Made by `simdivert calibrate --fit` on {started[:10]} (simdivert "
        f"{package_versions()['simdivert']}): history matching of `{plan.scenario.name}`'s "
        f"{len(plan.keys)} uncertain inputs to its {len(plan.fitted)} fitted targets, "
        f"{len(fit.waves)} wave(s) of {points} points, {plan.replications} replication(s) "
        f"each (seed {s.seed}; rows against another scenario paired with it on common "
        f"random numbers); a run is non-implausible when its "
        f"{'largest' if s.cut_rank == 1 else 'second-largest'} implausibility is below "
        f"{s.cutoff:g}. Stopped: {fit.stopped}. {kept} parameter sets of the final wave are "
        "non-implausible. Intervals: 5% to 95% of the target's value over runs (prior: "
        "wave 1, a Latin hypercube of the priors; calibrated: the final wave's "
        "non-implausible runs); a row passes when the calibrated median lies in the range "
        "(a `below` row: also under the other KPI).",
    ]
