"""Answer bodies built from stored record texts: a JSON array streamed batch by batch, or CSV."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Generator, Iterable
from typing import Any


def retype(text: str, names: set[str]) -> str:
    """The record with the numbers (and booleans) of ``names`` turned into strings: the changed-type fault."""
    record: dict[str, Any] = json.loads(text)
    for name in names & record.keys():
        value = record[name]
        if isinstance(value, bool):
            record[name] = "true" if value else "false"
        elif isinstance(value, int | float):
            record[name] = str(value)
        elif isinstance(value, list):
            record[name] = [str(v) if isinstance(v, int | float) and not isinstance(v, bool) else v for v in value]
    return json.dumps(record, separators=(", ", ": "), ensure_ascii=False)


def json_length(count: int, text_bytes: int) -> int:
    """Byte length of ``[`` + texts joined by ``,`` + ``]``."""
    return 2 + text_bytes + max(count - 1, 0)


def json_chunks(batches: Iterable[list[str]], changed: set[str] | None = None) -> Generator[bytes, None, None]:
    """``[rec,rec,...]`` as UTF-8 chunks, one per batch, each record's text as stored (or retyped)."""
    yield b"["
    first = True
    try:
        for texts in batches:
            if changed:
                texts = [retype(text, changed) for text in texts]
            joined = ",".join(texts)
            yield (joined if first else "," + joined).encode("utf-8")
            first = False
    finally:
        if isinstance(batches, Generator):
            batches.close()  # releases the store's cursor when the answer is cut short
    yield b"]"


def lines_as_array(texts: Iterable[bytes]) -> Generator[bytes | memoryview, None, None]:
    """``[rec,rec,...]`` from JSON lines (each record's text and a newline, in pieces cut anywhere): the
    newlines become the commas, the last one the closing bracket. Byte for byte what ``json_chunks`` makes of
    the same texts."""
    yield b"["
    last = b""
    try:
        for text in texts:
            if not text:
                continue
            if last:
                yield last
            joined = text.replace(b"\n", b",")
            yield memoryview(joined)[:-1]
            last = joined[-1:]
    finally:
        if isinstance(texts, Generator):
            texts.close()  # closes the file when the answer is cut short
    if last != b",":
        raise ValueError("the lines did not end in a newline")
    yield b"]"


def csv_bytes(batches: Iterable[list[str]], header: list[str], changed: set[str] | None = None) -> bytes:
    """OpenF1's csv=true: a header of every field name (sorted), values as Python's csv module writes them."""
    output = io.StringIO()
    writer = csv.DictWriter(output, fieldnames=header)
    writer.writeheader()
    for texts in batches:
        for text in texts:
            writer.writerow(json.loads(retype(text, changed) if changed else text))
    return output.getvalue().encode("utf-8")
