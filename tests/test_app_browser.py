"""The page in a real browser: ``simdivert app`` served on a free port, driven by Playwright
in Debian's headless Chromium (no browser download).

Choose a scenario, change a lever, run two replications over a short horizon, and check
that the numbers shown are those of the run's ``summary.csv`` (from the run folder the
page offers as a zip); download the edited scenario and run it with ``simdivert run``
to the same numbers; upload a bad file and see its one-line error. Every request the
page makes goes to the server itself (no CDN, no telemetry). A screenshot of each
state is checked (not blank, no error box where none is expected) and kept in
``outputs/browser_check/`` for a person to look at.

CI installs ``chromium`` (``.ci/run``) and sets ``SIMDIVERT_REQUIRE_CHROMIUM=1``, so there
a missing browser fails the test instead of skipping it.
"""

from __future__ import annotations

import io
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path
from urllib.parse import urlparse

import pandas as pd
import pytest
from matplotlib.image import imread
from typer.testing import CliRunner

from simdivert.cli.app import app
from simdivert.kpis import kpi_label
from simdivert.numbers import format_interval, format_value

CHROMIUM_NAMES = ("chromium", "chromium-browser")
SCREENSHOT_DIR = Path(__file__).resolve().parents[1] / "outputs" / "browser_check"
ROOT = Path(__file__).resolve().parents[1]
VIEWPORT = {"width": 1280, "height": 900}
TIMEOUT_MS = 120_000
# A short run: two replications of a quarter-year, the scheme running from the start.
SHORT_LEVERS = {
    "Years measured (after the warm-up)": "0.3",
    "Warm-up (days)": "14",
    "Launch (measured days before the scheme starts)": "0",
    "Replications": "2",
}
CHANGED_LEVER = ("Drug workers in post (FTE)", "6")
BAD_SCENARIO = 'extends = "west_midlands"\n\n[provider]\ndrug_wrokers = 4\n'
SCENARIO = "thames_valley"
SHOWN_KPIS = ("referrals_per_year", "assessment_wait_p90_days", "share_assessed")


def _require(reason: str) -> None:
    if os.environ.get("SIMDIVERT_REQUIRE_CHROMIUM") == "1":
        pytest.fail(f"{reason}, and SIMDIVERT_REQUIRE_CHROMIUM=1 (CI installs it)")
    pytest.skip(f"{reason}; .ci/run installs it")


@pytest.fixture(scope="module")
def chromium() -> str:
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            return path
    _require(f"no Chromium on PATH (looked for {', '.join(CHROMIUM_NAMES)})")
    raise AssertionError("unreachable")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """``simdivert app`` on a free port, as a user starts it; its address."""
    port = _free_port()
    log = tmp_path_factory.mktemp("server") / "server.log"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SIMDIVERT_APP_WORKERS": "2"}
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "simdivert", "app", "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=tmp_path_factory.mktemp("cwd"),
        )
    address = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{address}/_stcore/health", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"simdivert app did not start:\n{log.read_text()[-3000:]}")
                time.sleep(0.3)
        yield address
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture
def page(chromium, server):
    """A fresh browser session on the page; every request it makes is recorded."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _require("playwright is not installed (pip install -e '.[dev]')")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium, args=["--no-sandbox", "--disable-gpu"]
        )
        context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
        tab = context.new_page()
        tab.set_default_timeout(TIMEOUT_MS)
        tab.requests = []
        tab.on("request", lambda request: tab.requests.append(request.url))
        tab.goto(server)
        tab.get_by_text("Every other parameter").wait_for()
        yield tab
        browser.close()


def check_screenshot(tab, name: str, error_expected: bool = False) -> Path:
    """Save a screenshot of the page; it is not blank, and has no error box unless expected."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOT_DIR / f"app-{name}.png"
    tab.wait_for_timeout(300)  # let the last rerun paint
    tab.screenshot(path=str(path))
    pixels = imread(path)[..., :3]
    assert pixels.shape[:2] == (VIEWPORT["height"], VIEWPORT["width"])
    assert pixels.std() > 0.05  # a blank page has no variance
    assert (pixels.mean(axis=2) < 0.9).mean() > 0.02  # and ink on at least 2% of it
    assert tab.locator('[data-testid="stException"]').count() == 0
    errors = tab.locator('[data-testid="stAlertContentError"]').count()
    assert (errors > 0) == error_expected
    return path


def set_number(tab, label: str, value: str) -> None:
    box = tab.get_by_label(label, exact=True)
    box.fill(value)
    box.press("Enter")
    tab.wait_for_timeout(400)  # the rerun the change starts


def shown_tables(tab) -> list[list[list[str]]]:
    """Every table on the page as rows of cell texts (header row first)."""
    return tab.evaluate(
        """() => Array.from(document.querySelectorAll("table")).map((table) =>
             Array.from(table.querySelectorAll("tr")).map((row) =>
               Array.from(row.querySelectorAll("th, td")).map((cell) => cell.innerText.trim())))"""
    )


def download(tab, button: str) -> bytes:
    with tab.expect_download() as started:
        tab.get_by_role("button", name=button).click()
    return Path(started.value.path()).read_bytes()


def test_run_from_the_page_shows_the_run_folder_numbers(page, server, tmp_path):
    tab = page
    check_screenshot(tab, "1-start")
    tab.get_by_role("combobox", name="Built-in scenario").click()
    tab.get_by_role("option", name=SCENARIO, exact=True).click()
    tab.get_by_text(f"Results: {SCENARIO}").wait_for(state="detached")  # nothing run yet
    tab.wait_for_timeout(500)
    for label, value in {**SHORT_LEVERS, CHANGED_LEVER[0]: CHANGED_LEVER[1]}.items():
        set_number(tab, label, value)
    check_screenshot(tab, "2-levers")

    tab.get_by_role("button", name="Run").click()
    tab.get_by_text("Headline KPIs").wait_for()
    tab.get_by_role("button", name="Run folder (zip)").wait_for()  # the figures are drawn
    tab.get_by_text("Figures").scroll_into_view_if_needed()
    check_screenshot(tab, "4-figures")
    tab.get_by_text(f"Results: {SCENARIO}").scroll_into_view_if_needed()
    check_screenshot(tab, "3-results")

    with zipfile.ZipFile(io.BytesIO(download(tab, "Run folder (zip)"))) as archive:
        summary = pd.read_csv(archive.open("run/summary.csv")).set_index("kpi")
        manifest = archive.read("run/manifest.json").decode()
    assert '"drug_workers": 6.0' in manifest  # the lever changed on the page
    rows = {row[0]: row[1:] for table in shown_tables(tab) for row in table if row}
    for kpi in SHOWN_KPIS:
        mean, low, high = summary.loc[kpi, ["mean", "ci_low", "ci_high"]]
        assert rows[kpi_label(kpi)][:2] == [
            format_value(mean),
            format_interval(low, high, mean),
        ], kpi

    scenario_file = tmp_path / "edited.toml"
    scenario_file.write_bytes(download(tab, "Scenario as edited (TOML)"))
    out = tmp_path / "again"
    result = CliRunner().invoke(
        app, ["run", str(scenario_file), "--workers", "1", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    again = pd.read_csv(out / "summary.csv").set_index("kpi")
    pd.testing.assert_frame_equal(again, summary)
    assert b"<img " in download(tab, "Report (HTML)")

    hosts = {urlparse(url).netloc for url in tab.requests if not url.startswith("data:")}
    assert hosts == {urlparse(server).netloc}, hosts  # nothing fetched from elsewhere


def test_a_paired_comparison(page):
    tab = page
    for label, value in SHORT_LEVERS.items():
        set_number(tab, label, value)
    tab.get_by_role("combobox", name="Compare with").click()
    tab.get_by_role("option", name="status_quo", exact=True).click()
    tab.wait_for_timeout(500)
    tab.get_by_role("button", name="Run").click()
    tab.get_by_role("button", name="Comparison report (HTML)").wait_for()
    heading = tab.get_by_text("Against status_quo (paired)")
    heading.evaluate("element => element.scrollIntoView({block: 'start'})")
    check_screenshot(tab, "8-comparison")
    header = next(t[0] for t in shown_tables(tab) if "95% CI of the difference" in t[0])
    assert header[1:3] == ["status_quo", "west_midlands"]


def test_showing_how_sure_the_forecast_is(page):
    tab = page
    for label, value in {**SHORT_LEVERS, "Replications": "1"}.items():
        set_number(tab, label, value)
    tab.get_by_text("Show how sure the forecast is").click()
    tab.wait_for_timeout(500)
    set_number(tab, "Parameter sets", "2")
    tab.get_by_role("button", name="Run").click()
    tab.get_by_role("button", name="Run folder (zip)").wait_for()
    tab.get_by_text("Headline KPIs").evaluate("element => element.scrollIntoView({block: 'start'})")
    check_screenshot(tab, "9-how-sure")
    header = next(t[0] for t in shown_tables(tab) if t and "90% PI" in t[0])
    assert header[1:4] == ["mean", "90% PI", "95% CI"]
    assert tab.get_by_text("how precisely the simulation has", exact=False).count() > 0


def test_progress_and_cancel(page):
    tab = page
    set_number(tab, "Replications", "40")
    tab.get_by_role("button", name="Run").click()
    tab.get_by_role("progressbar").wait_for()
    check_screenshot(tab, "5-running")
    tab.get_by_role("button", name="Cancel").click()
    tab.get_by_text("Run cancelled").wait_for()
    check_screenshot(tab, "6-cancelled")


def test_a_bad_upload_shows_its_one_line_error(page, tmp_path):
    tab = page
    bad = tmp_path / "bad.toml"
    bad.write_text(BAD_SCENARIO)
    tab.get_by_text("Upload a TOML file").click()
    tab.locator('input[type="file"]').set_input_files(str(bad))
    error = tab.locator('[data-testid="stAlertContentError"]')
    error.wait_for()
    message = error.locator('[data-testid="stMarkdownContainer"]')
    assert (
        message.inner_text().strip()
        == "bad.toml: provider.drug_wrokers: unknown key (did you mean drug_workers?)"
    )
    assert tab.get_by_role("button", name="Run").is_disabled()
    check_screenshot(tab, "7-bad-upload", error_expected=True)
