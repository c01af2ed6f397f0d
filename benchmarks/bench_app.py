"""How long a default run from the web page takes to show its results (issue 16: 10 s).

Run from the repository root::

    python benchmarks/bench_app.py [--runs 3] [--workers 2] [--compare status_quo]

Two measures, alternating:

- **In the browser**: ``simdivert app`` served on a free port, opened in headless
  Chromium (Playwright, Debian's ``/usr/bin/chromium``); each timed run opens a fresh
  session, presses Run on the default scenario (10 replications, the default horizon)
  and times until the progress bar shows the last replication done, until the results'
  headline table is shown, then until the report's figures and the downloads are shown.
- **Phase by phase, in process**, as the page's run thread does it: the replications on
  ``simdivert.local(workers)``, writing the run folder, reading it back for the
  headlines, and the report (figures). Imports happen once, before timing (the server
  has them loaded).

``--compare status_quo`` times the paired comparison instead (twice the replications).
"""

from __future__ import annotations

import argparse
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each measure")
    parser.add_argument("--workers", type=int, default=2, help="worker processes per run")
    parser.add_argument("--compare", default=None, help="compare with this built-in scenario")
    return parser.parse_args(argv)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(workers: int) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SIMDIVERT_APP_WORKERS": str(workers)}
    process = subprocess.Popen(
        [sys.executable, "-m", "simdivert", "app", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    address = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            with urllib.request.urlopen(f"{address}/_stcore/health", timeout=2):
                return process, address
        except OSError:
            time.sleep(0.3)
    process.terminate()
    raise SystemExit("simdivert app did not start")


def server_cpu(pid: int) -> float:
    """CPU seconds of ``simdivert app``, the Streamlit server it starts and their finished
    children (the runs' pools and the report's drawing processes); Linux only."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = sum(int(f) for f in fields[11:15])  # utime, stime, cutime, cstime
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return ticks / os.sysconf("SC_CLK_TCK") + sum(server_cpu(int(c)) for c in children)


def browser_run(playwright, address: str, compare: str | None) -> tuple[float, float, float]:
    """Seconds from pressing Run to the last replication's progress shown, to the
    results, and to the figures, in a new session."""
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
    try:
        tab = browser.new_page(viewport={"width": 1280, "height": 900})
        tab.set_default_timeout(300_000)
        tab.goto(address)
        tab.get_by_role("button", name="Run").wait_for()
        if compare:
            tab.get_by_role("combobox", name="Compare with").click()
            tab.get_by_role("option", name=compare, exact=True).click()
            tab.wait_for_timeout(1000)
        total = 10 * (2 if compare else 1)
        start = time.perf_counter()
        tab.get_by_role("button", name="Run").click()
        last = None
        while True:  # the page's text every 50 ms: the progress, then the results
            text = tab.evaluate("() => document.body.innerText")
            if last is None and (f"{total} of {total}" in text or "Writing" in text):
                last = time.perf_counter() - start
            if "Headline KPIs" in text:
                break
            time.sleep(0.05)
        results = time.perf_counter() - start
        tab.get_by_role("button", name="Run folder (zip)").wait_for()
        return last if last is not None else results, results, time.perf_counter() - start
    finally:
        browser.close()


def phases(workers: int, compare: str | None) -> dict[str, float]:
    """The page's run thread, phase by phase (the default scenario, 10 replications)."""
    import simdivert as sd
    from simdivert.outputs.readers import read_output_folder
    from simdivert.reporting.headlines import headlines

    times: dict[str, float] = {}
    scenario = sd.load_scenario("west_midlands", set={"run.replications": 10})
    with tempfile.TemporaryDirectory() as scratch:
        start = time.perf_counter()
        cpu = _cpu_seconds()
        with sd.local(workers) as executor:
            if compare:
                both = sd.compare(
                    sd.load_scenario(compare), scenario, replications=10, executor=executor
                )
                result = both.results[1]
            else:
                result = sd.run(scenario, executor=executor)
        times["replications on the pool"] = time.perf_counter() - start
        times["  their CPU (all processes)"] = _cpu_seconds() - cpu
        mark = time.perf_counter()
        folder = sd.write_run(result, Path(scratch) / "run")
        if compare:
            sd.write_comparison(both, Path(scratch) / "comparison")
        times["writing the folder(s)"] = time.perf_counter() - mark
        mark = time.perf_counter()
        output = read_output_folder(folder)
        assert output.summary is not None and output.run is not None
        headlines(output.summary, output.run.targets, output.run.diversion)
        times["reading back, headlines"] = time.perf_counter() - mark
        times["results shown (wall)"] = time.perf_counter() - start
        mark = time.perf_counter()
        sd.write_report(folder)
        if compare:
            sd.write_report(Path(scratch) / "comparison")
        times["report and figures"] = time.perf_counter() - mark
    return times


def _cpu_seconds() -> float:
    """User and system CPU of this process and its finished children (the pool's)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    from playwright.sync_api import sync_playwright

    import simdivert as sd
    from simdivert.outputs.readers import read_output_folder  # noqa: F401 (imports untimed)
    from simdivert.reporting import report  # noqa: F401

    sd.load_scenario("west_midlands")
    browser_times: list[tuple[float, float, float, float]] = []
    phase_times: list[dict[str, float]] = []
    process, address = start_server(args.workers)
    try:
        with sync_playwright() as playwright:
            browser_run(playwright, address, args.compare)  # untimed: the server's imports
            for _ in range(args.runs):
                cpu = server_cpu(process.pid)
                last, results, figures = browser_run(playwright, address, args.compare)
                browser_times.append((last, results, figures, server_cpu(process.pid) - cpu))
                phase_times.append(phases(args.workers, args.compare))
    finally:
        process.terminate()
        process.wait(timeout=30)
    load = os.getloadavg()
    print(
        f"default scenario, 10 replications, {args.workers} workers"
        + (f", paired with {args.compare}" if args.compare else "")
        + f"; {args.runs} runs; load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}"
    )
    for label, index in (
        ("browser: Run to last replication", 0),
        ("browser: Run to results", 1),
        ("browser: Run to figures", 2),
        ("  server CPU, pools included", 3),
    ):
        values = [t[index] for t in browser_times]
        print(f"{label:34s} median {statistics.median(values):6.2f} s  {_spread(values)}")
    for phase in phase_times[0]:
        values = [t[phase] for t in phase_times]
        median = statistics.median(values)
        print(f"in process: {phase:28s} median {median:6.2f} s  {_spread(values)}")


def _spread(values: list[float]) -> str:
    return "(" + ", ".join(f"{v:.2f}" for v in values) + ")"


if __name__ == "__main__":
    main()
