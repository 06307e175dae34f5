"""The serving layer: publish a build's public schemas into a copy readers open, and guard the working file.

``serving.publish`` writes the published copy (a DuckDB file every DuckDB 1.4+ reads, and the same tables as
Parquet); ``serving.holder`` stops a command in one line when another process holds the working file.
"""
