"""HTML renditions of threads and search results (Jinja2, autoescaped: archived text holds
markup and scripts and is always shown as text). Used by the release package and the web view.

Every word of the archive's own is translated (Jinja2's i18n extension over the catalogues of
:mod:`archive_lib.language`: one environment per language), and every date is written in that
language's style in Stockholm time; archived text is shown as it is.

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
from archive_lib.language import DEFAULT, N_, Language, language

#: Indentation per depth as classes: the web view's Content-Security-Policy allows no inline styles.
DEPTH_CSS = "".join(f".depth-{d} {{ margin-left: {d * 1.6:.1f}em; }}\n" for d in range(10))

#: The archive's codes for kinds of item and states, as registrars read them (the codes stay in
#: JSON, CSV and Parquet).
LABELS = {
    "post": N_("post"),
    "comment": N_("comment"),
    "new": N_("new"),
    "edited": N_("edited"),
    "deleted": N_("deleted"),
    "restored": N_("restored"),
    "hidden": N_("hidden"),
    "unhidden": N_("unhidden"),
    "media": N_("files archived late"),
}


def stamp(value: Any) -> str:
    """A timestamp in Stockholm time, ISO style, for the terminal (renditions use
    :meth:`archive_lib.language.Language.stamp`)."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if isinstance(value, dt.datetime):
        local = in_stockholm(value)
        zone = "" if local.tzinfo == STOCKHOLM else " UTC"  # the last hours of the year 9999
        return f"{local.year:04d}-{local:%m-%d %H:%M}{zone}"
    return "" if value is None else str(value)


def label(words: Language, code: Any) -> str:
    """A code of :data:`LABELS` in ``words``' language; any other value as it is."""
    return words.gettext(LABELS[code]) if code in LABELS else str(code)


@functools.cache
def environment(code: str = DEFAULT) -> jinja2.Environment:
    """The templates, speaking the language ``code``."""
    words = language(code)
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(importlib.resources.files("archive_lib.registry") / "templates")),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(words.translations, newstyle=True)  # type: ignore[attr-defined]
    env.filters["stamp"] = words.stamp
    env.filters["label"] = lambda code: label(words, code)
    env.filters["bdi"] = lambda value: markupsafe.Markup(isolate(value))  # noqa: S704 (isolate escapes)
    env.globals["lang"] = words.code
    env.globals["role"] = None  # the web view passes the signed-in user's role; renditions have none
    return env


def stylesheet() -> str:
    return (importlib.resources.files("archive_lib.registry") / "templates" / "style.css").read_text(
        encoding="utf-8"
    ) + DEPTH_CSS


def render(template: str, words: Language | None = None, **context: Any) -> str:
    """``template`` rendered with ``context``, in ``words``' language (Swedish by default)."""
    return environment(words.code if words else DEFAULT).get_template(template).render(**context)
