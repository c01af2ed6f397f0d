"""The output folders: written atomically, one writer per kind of result, and read back."""
