"""report.html opened in a real browser (headless Chromium): images load, the page is not blank.

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
IMAGE_CHECK = """
<script>
window.addEventListener("load", () => {
  const images = Array.from(document.images).map((img) => ({
    alt: img.alt, complete: img.complete, width: img.naturalWidth, height: img.naturalHeight,
  }));
  const headline = document.getElementById("headline");
  const found = {
    images: images,
    headline_items: headline ? headline.querySelectorAll("li").length : 0,
    headline_height: headline ? headline.getBoundingClientRect().height : 0,
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


@pytest.mark.parametrize("folder", ["reported_run", "reported_comparison"])
def test_report_renders_in_chromium(chromium, folder, request, tmp_path):
    """The report of a run and of a comparison, each with all its figures."""
    report = request.getfixturevalue(folder) / "report.html"
    checked = tmp_path / "report_checked.html"
    checked.write_text(report.read_text().replace("</body>", f"{IMAGE_CHECK}</body>"))

    dom = headless(
        chromium,
        tmp_path / "profile",
        "--virtual-time-budget=10000",
        "--dump-dom",
        checked.as_uri(),
    ).stdout
    found = json.loads(
        html.unescape(re.search(r'<pre id="browser-check">(.*?)</pre>', dom).group(1))
    )
    images = found["images"]
    assert len(images) == report.read_text().count("<img ")
    assert len(images) >= 4
    broken = [img["alt"] for img in images if not (img["complete"] and img["width"] > 0)]
    assert broken == []
    assert found["headline_items"] >= 5 and found["headline_height"] > 100

    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    screenshot = SCREENSHOT_DIR / f"{folder.removeprefix('reported_')}.png"
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
