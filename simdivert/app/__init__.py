"""The web page for commissioners (``simdivert app``), over the public Python API.

``page.py`` is the Streamlit script; ``controls.py`` its scenario and levers,
``levers.py`` what can be changed (read from the scenario and its schema), ``runs.py``
a run in the background with progress and cancel, ``results.py`` what a run shows,
``server.py`` how the server is started (no usage statistics, nothing fetched).
"""
