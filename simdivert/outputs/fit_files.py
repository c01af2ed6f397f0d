"""The names of a fit folder's files and columns, for its writer and its readers (the
reporting layer reads them without loading the experiments)."""

FIT_KIND = "simdivert fit"
MANIFEST = "manifest.json"
WAVES_DIR = "waves"
WAVES_FILE = "waves.parquet"
CHECKS_FILE = "targets.csv"
SUMMARY_FILE = "fit.md"
FIGURES_DIR = "figures"
WAVE_COLUMN = "wave"
POINT_COLUMN = "point"  # a run's number within its wave
IMPLAUSIBILITY = "implausibility"  # a run's own, ranked as the cut ranks it
EMULATOR_IMPLAUSIBILITY = "emulator_implausibility"  # the earlier waves' at its design
KEPT = "non_implausible"
I_PREFIX = "I: "  # a run's implausibility for one fitted target
