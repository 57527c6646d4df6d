"""Shareable state: a setting as a URL query string, and the app options a teacher can add.

``?initializer=zeros&activation=tanh&depth=12`` opens the Voila app on that setting (Voila puts
the page's query string in the kernel's ``QUERY_STRING`` environment variable). App options
beside the Config fields: ``hide=depth,width`` hides those controls (teacher mode), ``play=1``
starts training at once.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode

from initviz.core.training import Config

APP_KEYS = ("hide", "play")


@dataclass(frozen=True)
class AppOptions:
    """What a link can ask of the app besides the Config."""

    hide: tuple[str, ...] = field(default_factory=tuple)
    play: bool = False

    def to_pairs(self) -> list[tuple[str, str]]:
        pairs = []
        if self.hide:
            pairs.append(("hide", ",".join(self.hide)))
        if self.play:
            pairs.append(("play", "1"))
        return pairs


def parse_query(query: str) -> tuple[Config, AppOptions]:
    """Split a query string into a Config and AppOptions; unknown keys raise ValueError."""
    pairs = parse_qsl(query.lstrip("?"), keep_blank_values=True)
    app = {key: value for key, value in pairs if key in APP_KEYS}
    config = Config.from_query(urlencode([(k, v) for k, v in pairs if k not in APP_KEYS]))
    hide = tuple(name.strip() for name in app.get("hide", "").split(",") if name.strip())
    unknown = set(hide) - set(Config.field_names())
    if unknown:
        raise ValueError(f"hide: unknown control(s) {sorted(unknown)}; valid: {', '.join(Config.field_names())}")
    play = app.get("play", "0").lower() in ("1", "true", "yes")
    return config, AppOptions(hide=hide, play=play)


def to_query(config: Config, options: AppOptions | None = None) -> str:
    """The query string that reopens ``config`` (and the app options)."""
    parts = [config.to_query()]
    if options is not None and options.to_pairs():
        parts.append(urlencode(options.to_pairs()))
    return "&".join(p for p in parts if p)


def page_query() -> str:
    """The query string of the Voila page this kernel serves ('' outside Voila)."""
    return os.environ.get("QUERY_STRING", "")
