"""Scenarios: the validated, frozen parameters of the model, read from TOML files."""
