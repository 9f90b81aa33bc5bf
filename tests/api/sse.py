"""A small Server-Sent Events reader for tests (named events with JSON data)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass(frozen=True)
class Event:
    name: str
    data: dict[str, Any]


def read_events(response: httpx.Response) -> Iterator[Event]:
    """Yield each named event of a streaming response (comments are skipped)."""
    name: str | None = None
    data_lines: list[str] = []
    for line in response.iter_lines():
        if line.startswith(":"):
            continue
        if line.startswith("event:"):
            name = line.removeprefix("event:").strip()
        elif line.startswith("data:"):
            data_lines.append(line.removeprefix("data:").strip())
        elif line == "" and name is not None:
            yield Event(name=name, data=json.loads("\n".join(data_lines)))
            name, data_lines = None, []
