"""Starting the page: Streamlit's server on the page script, with nothing sent off the machine.

The settings are given as command-line flags (they win over any ``config.toml`` a user
has): no usage statistics, no file watcher, no developer menu, no browser opened.
Streamlit serves its own scripts and fonts, so the page needs no network and no CDN.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PAGE = Path(__file__).with_name("page.py")
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8501
MAX_UPLOAD_MB = 1  # a scenario file is a few kilobytes

SETTINGS = {
    "browser.gatherUsageStats": "false",  # no telemetry
    "server.headless": "true",  # do not open a browser, do not ask for an email
    "server.fileWatcherType": "none",
    "server.runOnSave": "false",
    "server.maxUploadSize": str(MAX_UPLOAD_MB),
    "client.toolbarMode": "viewer",  # no deploy or rerun buttons for commissioners
    "client.showErrorDetails": "none",  # no tracebacks in the page
    "global.developmentMode": "false",
    "theme.base": "light",
}


def streamlit_command(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> list[str]:
    """The command that serves the page on ``host:port``."""
    settings = {**SETTINGS, "server.address": host, "server.port": str(port)}
    flags = [f"--{key}={value}" for key, value in settings.items()]
    return [sys.executable, "-m", "streamlit", "run", str(PAGE), *flags]


def serve(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> int:
    """Serve the page until interrupted; the server's exit status."""
    env = {**os.environ, "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}
    with subprocess.Popen(streamlit_command(host, port), env=env) as server:
        try:
            return server.wait()
        except KeyboardInterrupt:  # Ctrl-C reaches the server too; let it stop cleanly
            return server.wait()
