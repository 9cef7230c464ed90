"""HTML renditions of threads and search results (Jinja2, autoescaped: archived text holds
markup and scripts and is always shown as text). Used by the release package and the web view.

Templates put names, handles, ids and other short platform-supplied strings inside a line
through the ``bdi`` filter (:func:`archive_lib.inert.isolate`), so right-to-left text or a bidi
override in them cannot reorder the rest of the line."""

from __future__ import annotations

import datetime as dt
import functools
import importlib.resources
from typing import Any

import jinja2
import markupsafe

from archive_lib.clock import STOCKHOLM, in_stockholm
from archive_lib.inert import isolate

#: Indentation per depth as classes: the web view's Content-Security-Policy allows no inline styles.
DEPTH_CSS = "".join(f".depth-{d} {{ margin-left: {d * 1.6:.1f}em; }}\n" for d in range(10))


def stamp(value: Any) -> str:
    """A timestamp in Stockholm time, as registrars read it."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if isinstance(value, dt.datetime):
        local = in_stockholm(value)
        zone = "" if local.tzinfo == STOCKHOLM else " UTC"  # the last hours of the year 9999
        return f"{local.year:04d}-{local:%m-%d %H:%M}{zone}"
    return "" if value is None else str(value)


@functools.cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(importlib.resources.files("archive_lib.registry") / "templates")),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["stamp"] = stamp
    env.filters["bdi"] = lambda value: markupsafe.Markup(isolate(value))  # noqa: S704 (isolate escapes)
    return env


def stylesheet() -> str:
    return (importlib.resources.files("archive_lib.registry") / "templates" / "style.css").read_text(
        encoding="utf-8"
    ) + DEPTH_CSS


def render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)
