"""Importers: scenario files derived from published data (police.uk stop and search)."""
