"""report.html of every kind opened in a real browser (headless Chromium): images load,
no chart is empty, nothing is wider than an A4 page, no raw JSON in the text, the page is
not blank.

Chromium is driven from the command line, with no extra Python dependency: ``--dump-dom``
prints the page after a small script (added to a copy of the report) has written what it
found about the images into the page; ``--screenshot`` captures the rendered page, which
is kept under ``outputs/browser_check/`` for a person to look at (not in git).

CI installs Debian's ``chromium`` (``.ci/run``) and sets ``SIMDIVERT_REQUIRE_CHROMIUM=1``,
so there a missing browser fails the test instead of skipping it.
"""

import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from matplotlib.image import imread

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
SCREENSHOT_DIR = Path(__file__).resolve().parents[1] / "outputs" / "browser_check"
WINDOW = (1200, 3000)
A4_TEXT_WIDTH = 680  # CSS pixels: 210 mm less 15 mm margins each side, at 96 per inch
IMAGE_CHECK = """
<script>
window.addEventListener("load", () => {
  const images = Array.from(document.images).map((img) => ({
    alt: img.alt, complete: img.complete, width: img.naturalWidth, height: img.naturalHeight,
    points: Number(img.dataset.points || 0),
  }));
  const headline = document.getElementById("headline");
  const page = document.documentElement.clientWidth;
  const wide = Array.from(document.querySelectorAll("main *"))
    .filter((el) => el.getBoundingClientRect().right > page + 1)
    .map((el) => el.tagName + ": " + (el.textContent || "").slice(0, 60));
  const shown = document.body.cloneNode(true);
  shown.querySelectorAll("details, script").forEach((el) => el.remove());
  const found = {
    images: images,
    headline_items: headline ? headline.querySelectorAll("li").length : 0,
    headline_height: headline ? headline.getBoundingClientRect().height : 0,
    wide: wide,
    text: shown.textContent,
  };
  const out = document.createElement("pre");
  out.id = "browser-check";
  out.textContent = JSON.stringify(found);
  document.body.appendChild(out);
});
</script>
"""


@pytest.fixture(scope="module")
def chromium() -> str:
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            return path
    if os.environ.get("SIMDIVERT_REQUIRE_CHROMIUM") == "1":
        pytest.fail("chromium not found, and SIMDIVERT_REQUIRE_CHROMIUM=1 (CI installs it)")
    pytest.skip(
        f"no Chromium on PATH (looked for {', '.join(CHROMIUM_NAMES)}); .ci/run installs it"
    )


def headless(chromium: str, profile: Path, *args: str) -> subprocess.CompletedProcess:
    """Run headless Chromium with no network services, sandbox or GPU (it may run as root)."""
    command = [
        chromium,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        *args,
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    return result


def check_in_browser(chromium: str, report: Path, tmp_path: Path, width: int) -> dict:
    """What the check script found in ``report`` at a window ``width`` pixels wide."""
    checked = tmp_path / "report_checked.html"
    checked.write_text(report.read_text().replace("</body>", f"{IMAGE_CHECK}</body>"))
    dom = headless(
        chromium,
        tmp_path / "profile",
        "--virtual-time-budget=10000",
        f"--window-size={width},2000",
        "--dump-dom",
        checked.as_uri(),
    ).stdout
    return json.loads(
        html.unescape(re.search(r'<pre id="browser-check">(.*?)</pre>', dom, re.S).group(1))
    )


RAW_JSON = re.compile(r'\{"|\[\{|\{\s*"\w+"\s*:|NaN|\bnan\b')


def report_folder(request, kind: str) -> Path:
    if kind.startswith("sweep_"):
        return request.getfixturevalue("reported_sweeps")[kind.removeprefix("sweep_")]
    return request.getfixturevalue(f"reported_{kind}")


@pytest.mark.parametrize(
    "kind", ["run", "comparison", "sweep_variants", "sweep_readme", "sweep_grid", "sensitivity"]
)
def test_report_renders_in_chromium(chromium, kind, request, tmp_path):
    """Each kind of report: every image loads and draws data, nothing is wider than an A4
    page's text, no raw JSON or NaN in the text, and the page has ink on it."""
    report = report_folder(request, kind) / "report.html"
    found = check_in_browser(chromium, report, tmp_path, A4_TEXT_WIDTH)
    images = found["images"]
    assert len(images) == report.read_text().count("<img ")
    assert len(images) >= (4 if kind in ("run", "comparison") else 1)
    broken = [img["alt"] for img in images if not (img["complete"] and img["width"] > 0)]
    assert broken == []
    empty = [img["alt"] for img in images if img["points"] <= 0]
    assert empty == []
    assert found["wide"] == []
    assert RAW_JSON.findall(found["text"]) == []
    assert found["headline_items"] >= (5 if kind in ("run", "comparison") else 1)

    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    screenshot = SCREENSHOT_DIR / f"{kind}.png"
    screenshot.unlink(missing_ok=True)
    headless(
        chromium,
        tmp_path / "profile",
        f"--screenshot={screenshot}",
        f"--window-size={WINDOW[0]},{WINDOW[1]}",
        report.as_uri(),
    )
    pixels = imread(screenshot)[..., :3]
    assert pixels.shape[:2] == (WINDOW[1], WINDOW[0])
    assert pixels.std() > 0.05  # a blank page has no variance
    assert (pixels.mean(axis=2) < 0.9).mean() > 0.02  # and ink on at least 2% of it
