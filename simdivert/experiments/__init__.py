"""Many replications on an executor: runs, comparisons, sweeps, staffing, calibration."""
