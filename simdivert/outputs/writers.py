"""One writer per kind of result: a run, a comparison, a staffing plan, a sensitivity
analysis, a calibration. Each writes its whole folder atomically with its manifest.

File names, columns and manifest keys are a contract with the readers
(:mod:`simdivert.outputs.readers`) and with folders written by earlier versions: they
change only on purpose. (A sweep writes as it goes, to resume: :mod:`sweep_writer`.)
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from simdivert.errors import UserError
from simdivert.outputs.folders import json_writer, write_atomically, write_run_dir
from simdivert.outputs.manifest import Provenance, build_manifest, package_versions
from simdivert.scenario.files import value_sources

if TYPE_CHECKING:
    import pandas as pd

    from simdivert.experiments.calibration import Check, ScenarioRun
    from simdivert.experiments.replications import RunResult
    from simdivert.experiments.sensitivity import Factor, SensitivityResults
    from simdivert.scenario.schema import Scenario


def _csv(table: pd.DataFrame):
    return lambda path: table.to_csv(path, index=False)


def _provenance(result: RunResult, command: str) -> Provenance:
    return Provenance(result.started, result.finished, result.where, command)


def write_run(
    result: RunResult,
    folder: str | Path,
    *,
    source: str | Path | None = None,
    overrides: Sequence[str] = (),
    command: str = "",
    warmup: dict[str, Any] | None = None,
) -> Path:
    """A run folder: ``replications.csv``, ``summary.csv``, ``timeseries.csv``,
    ``utilisation.csv``, ``events.parquet`` (if the run kept its events), ``manifest.json``.

    ``source`` and ``overrides`` say where the scenario came from; ``warmup`` how its
    warm-up was chosen (default: given in the scenario). A forecast with uncertainty
    also writes ``parameter_sets.parquet`` (the sets it ran) and its manifest records
    the result's ``uncertainty`` (how the sets were drawn); ``replications`` is then the
    number of each set.
    """
    scenario = result.scenario
    sets = result.parameter_sets
    per_set = len(result.replications) // (1 if sets is None else len(sets))
    manifest = build_manifest(
        {
            "scenario_name": scenario.name,
            "scenario_source": str(source) if source is not None else "",
            "overrides": list(overrides),
            "seed": result.seed,
            "replications": per_set,
            **({} if result.uncertainty is None else {"uncertainty": result.uncertainty}),
        },
        _provenance(result, command),
        {
            "warmup": warmup or {"method": "given", "days": scenario.run.warmup_days},
            "scenario": scenario.model_dump(mode="json"),
            # per dotted key: published, assumption (the scenario file's comments), override
            "value_sources": value_sources(source, overrides) if source is not None else {},
        },
    )
    writers = {
        "replications.csv": _csv(result.replications),
        "summary.csv": _csv(result.summary),
        "timeseries.csv": _csv(result.timeseries),
        "utilisation.csv": _csv(result.utilisation),
    }
    events = result.events
    if events is not None:
        writers["events.parquet"] = lambda path: events.to_parquet(path, index=False)
    _add_parameter_sets(writers, sets)
    writers["manifest.json"] = json_writer(manifest)
    return write_run_dir(Path(folder), writers)


def _add_parameter_sets(writers: dict[str, Any], sets: pd.DataFrame | None) -> None:
    """A forecast with uncertainty's ``parameter_sets.parquet`` (imported here: pandas and
    pyarrow load only when a folder is written, never with the command line)."""
    if sets is None:
        return
    from simdivert.outputs.parameter_sets import PARAMETER_SETS_FILE, write_parameter_sets

    writers[PARAMETER_SETS_FILE] = lambda path: write_parameter_sets(path, sets)


def write_comparison(
    results: Sequence[RunResult],
    names: Sequence[str],
    comparison: pd.DataFrame,
    folder: str | Path,
    *,
    sources: Sequence[str | Path] = (),
    overrides: Sequence[str] = (),
    command: str = "",
) -> Path:
    """A comparison folder: ``comparison.csv`` (paired differences from the first),
    ``replications.csv`` (every scenario's, with a ``scenario`` column), ``manifest.json``;
    with uncertainty also ``parameter_sets.parquet`` (the sets every scenario ran) and
    the manifest's ``uncertainty``."""
    import pandas as pd

    long_table = pd.concat(
        [r.replications.assign(scenario=n) for n, r in zip(names, results, strict=True)],
        ignore_index=True,
    )
    base = results[0]
    sets = base.parameter_sets
    manifest = build_manifest(
        {
            "scenario_names": list(names),
            "scenario_sources": [str(s) for s in sources],
            "overrides": list(overrides),
            "seed": base.seed,
            "replications": len(base.replications) // (1 if sets is None else len(sets)),
            **({} if base.uncertainty is None else {"uncertainty": base.uncertainty}),
        },
        _provenance(base, command),
        {
            "scenarios": {
                n: r.scenario.model_dump(mode="json") for n, r in zip(names, results, strict=True)
            }
        },
    )
    writers = {"comparison.csv": _csv(comparison), "replications.csv": _csv(long_table)}
    _add_parameter_sets(writers, sets)
    writers["manifest.json"] = json_writer(manifest)
    return write_run_dir(Path(folder), writers)


def write_staffing_plan(
    table: pd.DataFrame,
    plan_toml: str,
    scenario: Scenario,
    folder: str | Path,
    provenance: Provenance,
    *,
    search: dict[str, Any],
    spread: pd.DataFrame,
    check: pd.DataFrame,
    costs: pd.DataFrame,
    source: str | Path | None = None,
    overrides: Sequence[str] = (),
) -> Path:
    """A staffing-plan folder: ``staffing_plan.csv``, ``staffing_plan.toml`` (the whole
    planned scenario, runnable), ``staffing_spread.csv`` (each replication's P90 waits of
    the chosen staffing, searched and fresh), ``staffing_check.csv`` (the plan on fresh
    replications), ``staffing_costs.csv`` (staff and cost a year per period) and
    ``manifest.json``; ``search`` holds the search's settings (targets, quantile, period,
    replications, seed, candidates simulated)."""
    manifest = build_manifest(
        {
            "scenario_name": scenario.name,
            "scenario_source": str(source) if source is not None else "",
            "overrides": list(overrides),
            **search,
        },
        provenance,
        {"scenario": scenario.model_dump(mode="json")},
    )
    return write_run_dir(
        Path(folder),
        {
            "staffing_plan.csv": _csv(table),
            "staffing_plan.toml": lambda path: path.write_text(plan_toml),
            "staffing_spread.csv": _csv(spread),
            "staffing_check.csv": _csv(check),
            "staffing_costs.csv": _csv(costs),
            "manifest.json": json_writer(manifest),
        },
    )


def write_sensitivity(
    results: SensitivityResults,
    scenario: Scenario,
    factors: Sequence[Factor],
    folder: str | Path,
    provenance: Provenance,
    *,
    samples: int,
    seed: int,
    replications_per_cell: int,
    source: str | Path | None = None,
    overrides: Sequence[str] = (),
) -> Path:
    """A sensitivity folder: ``one_at_a_time.csv``, ``rank_correlations.csv``,
    ``replications.csv`` and ``manifest.json``."""
    manifest = build_manifest(
        {
            "scenario_name": scenario.name,
            "scenario_source": str(source) if source is not None else "",
            "overrides": list(overrides),
            "factors": [vars(f) for f in factors],
            "samples": samples,
            "seed": seed,
            "replications_per_cell": replications_per_cell,
        },
        provenance,
        {"scenario": scenario.model_dump(mode="json")},
    )
    return write_run_dir(
        Path(folder),
        {
            "one_at_a_time.csv": _csv(results.one_at_a_time),
            "rank_correlations.csv": _csv(results.rank_correlations),
            "replications.csv": _csv(results.replications),
            "manifest.json": json_writer(manifest),
        },
    )


def write_calibration(
    checks: Sequence[Check],
    runs: Sequence[ScenarioRun],
    folder: str | Path,
    provenance: Provenance,
    *,
    targets: str,
) -> tuple[Path, str]:
    """A calibration folder: ``calibration.csv``, ``calibration.md`` (the table for
    ``docs/VALIDATION.md``) and ``manifest.json``; returns the folder and the table."""
    from simdivert.experiments.calibration import checks_table, markdown_table

    markdown = markdown_table(
        list(checks), list(runs), package_versions()["simdivert"], provenance.started[:10]
    )
    manifest = build_manifest(
        {"targets": targets, "runs": [vars(run) for run in runs]},
        provenance,
        {"passed": sum(c.passed for c in checks), "checks": len(checks)},
    )
    written = write_run_dir(
        Path(folder),
        {
            "calibration.csv": _csv(checks_table(list(checks))),
            "calibration.md": lambda path: path.write_text(markdown),
            "manifest.json": json_writer(manifest),
        },
    )
    return written, markdown


# The markers of the calibration table in docs/VALIDATION.md.
DOCS_BEGIN = "<!-- calibrate:begin -->"
DOCS_END = "<!-- calibrate:end -->"
# ... and of the fit's per-target table (``calibrate --fit --write-docs``).
FIT_DOCS_MARKERS = ("<!-- fit:begin -->", "<!-- fit:end -->")


def replace_marked_section(
    text: str, block: str, source: str, markers: tuple[str, str] = (DOCS_BEGIN, DOCS_END)
) -> str:
    """``text`` with what lies between the markers (the calibrate table's by default)
    replaced by ``block``."""
    opening, closing = markers
    begin, end = text.find(opening), text.find(closing)
    if begin < 0 or end < 0 or end < begin:
        raise UserError(f"{source}: needs the markers {opening} and {closing}, in that order")
    return text[: begin + len(opening)] + "\n" + block + text[end:]


def write_docs(path: Path, block: str, markers: tuple[str, str] = (DOCS_BEGIN, DOCS_END)) -> None:
    """Put ``block`` between the markers of ``path``, atomically."""
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise UserError(f"{path}: no such file") from None
    updated = replace_marked_section(text, block, str(path), markers)
    write_atomically(path, lambda staging: staging.write_text(updated))
