"""The page for commissioners (``simdivert app``): choose a scheme, move the levers, run,
and read the forecast with its uncertainty.

Streamlit runs this script from the top on every interaction. A run goes on in a
background thread (:mod:`simdivert.app.runs`) held in this browser session's state, and
a fragment polls it for the progress bar until the results are there.
"""

from __future__ import annotations

import os

import streamlit as st

from simdivert.app import controls, results
from simdivert.app.runs import RunJob, SessionFolder

POLL_SECONDS = 0.5
WORKERS_ENV = "SIMDIVERT_APP_WORKERS"  # worker processes per run (default: all cores)


def _workers() -> int | None:
    value = os.environ.get(WORKERS_ENV, "")
    return int(value) if value.isdigit() and int(value) > 0 else None


def _session_folder() -> SessionFolder:
    if "folder" not in st.session_state:
        st.session_state["folder"] = SessionFolder()
    folder: SessionFolder = st.session_state["folder"]
    return folder


def _job() -> RunJob | None:
    job: RunJob | None = st.session_state.get("job")
    return job


@st.fragment(run_every=POLL_SECONDS)
def _progress() -> None:
    """The progress bar and Cancel while replications run; the whole page once done."""
    job = _job()
    if job is None or job.has_results or job.finished:
        if job is not None and st.session_state.get("shown") != (id(job), job.progress.stage):
            st.session_state["shown"] = (id(job), job.progress.stage)
            st.rerun()  # the results (or the figures) are ready: draw the whole page
        return
    progress = job.progress
    if job.cancel.is_set():
        st.progress(progress.done / progress.total, text="Cancelling…")
        return
    text = f"{progress.done} of {progress.total} replications"
    if progress.stage == "writing":
        text = "Writing the results…"
    st.progress(progress.done / progress.total, text=text)
    if st.button("Cancel", key="cancel", icon=":material/stop_circle:"):
        job.cancel.set()


def main() -> None:
    st.set_page_config(page_title="simdivert: drug diversion forecasts", layout="wide")
    st.title("Drug diversion: what a scheme needs and what it saves")
    st.caption(
        "A simulation of police drug diversion: choose a scheme in the sidebar, change "
        "its levers, and run. Every number comes with its 95% confidence interval over "
        "the replications."
    )
    folder = _session_folder()
    request, slot = controls.run_request(folder)
    st.session_state["request"] = request  # what Run would run (read by the tests)
    job = _job()
    running = job is not None and not job.finished and not job.has_results
    if slot.button(
        "Run",
        type="primary",
        key="run",
        disabled=request is None or running,
        icon=":material/play_arrow:",
    ):
        assert request is not None
        st.session_state["job"] = RunJob(request, folder.new_run(), _workers()).start()
        st.rerun()  # the page again, with Run disabled while the run goes on
    _progress()
    if job is None:
        st.info("Choose a scenario and its levers in the sidebar, then press Run.")
    elif job.progress.stage == "cancelled":
        st.warning("Run cancelled: nothing was kept.", icon=":material/cancel:")
    elif job.progress.stage == "failed":
        st.error(job.progress.error, icon=":material/error:")
    elif job.has_results:
        results.show(job)


main()
