"""The benchmark of issue 9 (``make bench``): ingest rate vs DuckDB's own JSON reader, dbt timings, incremental
build and peak memory, each step a subprocess of the real command lines. ``python -m bench --help``."""
