"""The ingest service's logic: one module per job, imported by app.py."""
