"""Run summaries, summary.json's entries: their schema (schema.py), how they are built from a
run's records (entries.py), labelled (labels.py), printed as the CLI table (table.py) and
written and read (file.py)."""
