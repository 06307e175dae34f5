"""BI tools on the published copy: their own environment (DuckDB 1.4/1.5, duckdb-engine, SQLAlchemy 2.0) and a
check that they read it (``make bi-check``). Nothing here imports the project: it reads files only."""
