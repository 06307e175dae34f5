"""BigQuery, the scale-out target, proven on a local emulator: ``python -m bigquery.e2e SNAPSHOT``."""
