"""Records as a Parquet file dlt imports as it is, when they fit the catalogue: no row-by-row normaliser.

dlt's normaliser costs ~50 µs a row (a season's intervals alone are 0.7M rows); an Arrow table of the same
records is built in ~2 µs a row and written as Parquet, with the two columns dlt's normaliser would have added
(``_dlt_load_id``, ``_dlt_id``). The fast path is taken only when it cannot change what lands in the
warehouse: every field is in the catalogue and every value has the declared type. A new field, a changed type
or an unparseable timestamp hands the records to dlt's normaliser instead, which adds the column or the
variant column as it always does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from dlt.common.json import json as dlt_json

from dlt_pipelines.openf1.catalogue import Endpoint

_TYPES = {"bigint": pa.int64(), "double": pa.float64(), "text": pa.string(), "bool": pa.bool_()}
_TIMESTAMP = pa.timestamp("us", tz="UTC")


def as_arrow(records: list[dict[str, Any]], endpoint: Endpoint, json_as_text: bool = False) -> pa.Table | None:
    """The records as a table of the catalogue's columns and types, or None if they do not fit it.

    JSON columns (laps' sector segments) only with ``json_as_text``: as the text dlt's Parquet writer makes of
    them (its own ``json.dumps``), which DuckDB casts to JSON on load; BigQuery cannot load JSON from Parquet.
    """
    kinds = (*_TYPES, "timestamp", *(["json"] if json_as_text else []))
    if not records or any(spec["data_type"] not in kinds for spec in endpoint.columns.values()):
        return None
    names = list(endpoint.columns)  # in the schema's order (hashed endpoints list record_hash there too)
    fields: set[str] = set()
    for record in records:
        fields.update(record)
    if not fields <= set(names):
        return None
    declared = {name: spec["data_type"] for name, spec in endpoint.columns.items()}
    nested = [name for name in names if declared[name] == "json"]
    if nested:  # copies: the records go to dlt's normaliser as they came if they do not fit
        records = [{**record, **{n: _json_text(record[n]) for n in nested if n in record}} for record in records]
    try:
        # Arrow infers each column's type from every value (it would silently truncate 9472.5 to a declared
        # int64): the inferred type must be the declared one, or a lossless widening of it
        inferred = pa.Table.from_pylist(records)
        if set(inferred.column_names) != fields:  # Arrow takes the columns from the first record only
            return None
        columns = []
        for name in names:
            wanted = {"timestamp": _TIMESTAMP, "json": pa.string()}.get(declared[name]) or _TYPES[declared[name]]
            if name not in inferred.column_names:
                columns.append(pa.nulls(len(records), wanted))
                continue
            column = inferred[name]
            if not _fits(column.type, declared[name]):
                return None
            columns.append(pc.cast(column, wanted))
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OverflowError):
        return None
    table = pa.Table.from_arrays(columns, names=names)
    return with_key_nullability(table, endpoint)


def with_key_nullability(table: pa.Table, endpoint: Endpoint) -> pa.Table:
    """Key columns NOT NULL in Arrow's schema as in dlt's: with the schemas equal, dlt imports the file as it
    is instead of rewriting it."""
    keys = set(endpoint.primary_key) | {"_dlt_load_id", "_dlt_id"}
    return table.cast(pa.schema([f.with_nullable(f.name not in keys) for f in table.schema]))


def _fits(inferred: pa.DataType, declared: str) -> bool:
    """Whether values Arrow inferred as ``inferred`` load into a ``declared`` column without a change."""
    if pa.types.is_null(inferred):
        return True
    return {
        "bigint": pa.types.is_integer(inferred),
        "double": pa.types.is_floating(inferred) or pa.types.is_integer(inferred),
        "text": pa.types.is_string(inferred),
        "json": pa.types.is_string(inferred),  # texts made by _json_text
        "bool": pa.types.is_boolean(inferred),
        "timestamp": pa.types.is_string(inferred),  # ISO 8601 texts, parsed by the cast
    }[declared]


def _json_text(value: Any) -> Any:
    """A JSON column's value as dlt's Parquet writer stores it: texts and nulls as they are, others dumped."""
    return value if value is None or isinstance(value, str) else dlt_json.dumps(value)


def write_import_file(table: pa.Table, path: Path, load_id: str) -> None:
    """``table`` as a Parquet file with ``_dlt_load_id`` and a ``_dlt_id`` unique across loads
    (``<load_id>.<file stem>.<row>``, dlt only needs it unique)."""
    rows = table.num_rows
    prefix = pa.array([f"{load_id}.{path.stem}."] * rows, pa.string())
    numbers = pc.cast(pa.array(range(rows), pa.int64()), pa.string())
    table = table.append_column(pa.field("_dlt_load_id", pa.string(), nullable=False), pa.array([load_id] * rows))
    table = table.append_column(
        pa.field("_dlt_id", pa.string(), nullable=False), pc.binary_join_element_wise(prefix, numbers, "")
    )
    pq.write_table(table, path, compression="snappy")
