"""The Share tab: the current setting as a link query string, and a link builder for teachers.

``?initializer=zeros&activation=tanh&depth=12`` appended to the Voila app's URL opens the app on
that setting (see ``initviz.app.share``). A teacher can also hide controls the lesson is not
about (``hide=depth,width``), start training at once (``play=1``) or start from a preset
(``preset=he_relu``). Pasting a query into the field and pressing "open" applies it here.
"""
from __future__ import annotations

import dataclasses
import html
import os
from urllib.parse import urlsplit, urlunsplit

import ipywidgets as W

from initviz.app.features.base import Feature
from initviz.app.share import AppOptions, read_link, to_query
from initviz.core.config import FIELDS, Config

HIDEABLE = tuple(name for name, spec in FIELDS.items() if spec.hideable)

NOTE = (
    "<div style='font-size:12px;line-height:1.4;color:#444'>"
    "Append this to the app's address (the Voila page's URL; in Voila the full URL is shown "
    "below it) and whoever opens the link starts from this setting. Teacher mode: tick "
    "controls below to hide them in the link "
    "(<code>hide=depth,width</code>), <code>play=1</code> starts training at once, "
    "<code>preset=he_relu</code> starts from a preset (later keys change it). "
    "Paste a query here and press <i>open</i> to load it.</div>"
)


def share_query(config: Config, options: AppOptions | None = None) -> str:
    """``'?'`` + the query string that reopens ``config`` (with the app options)."""
    return "?" + to_query(config, options)


def page_link(query: str) -> str | None:
    """The Voila page's own path with ``query`` (None outside Voila)."""
    path = os.environ.get("SCRIPT_NAME")
    return path + query if path else None


LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")


def page_url(query: str) -> str | None:
    """The full address of the Voila page with ``query``, to copy into course material.

    From ``VOILA_REQUEST_URL`` (the request's full URL, which Voila gives a kernel it starts for
    a page) with its query replaced; for a preheated kernel, which gets only the request's
    ``SERVER_NAME``, ``SERVER_PORT`` and ``SCRIPT_NAME``, from those (http for a local host,
    https otherwise: a public Voila sits behind TLS). None outside Voila."""
    env = os.environ
    text = query.lstrip("?")
    if env.get("VOILA_REQUEST_URL"):
        parts = urlsplit(env["VOILA_REQUEST_URL"])
        return urlunsplit((parts.scheme, parts.netloc, parts.path, text, ""))
    path, host = env.get("SCRIPT_NAME"), env.get("SERVER_NAME")
    if not path or not host:
        return None
    scheme = "http" if host in LOCAL_HOSTS else "https"
    port = env.get("SERVER_PORT", "")
    default = {"http": "80", "https": "443"}[scheme]
    netloc = host if port in ("", default) else f"{host}:{port}"
    return urlunsplit((scheme, netloc, path, text, ""))


class SharePanel(Feature):
    """A Text field (``.initviz-share``) with the current setting's query, kept up to date."""

    title = "Share"

    def __init__(self, explorer) -> None:
        super().__init__(explorer)
        self.text = W.Text(description="link query", style={"description_width": "80px"},
                           layout=W.Layout(width="640px"))
        self.text.add_class("initviz-share")
        self.open_button = W.Button(description="open", icon="arrow-right",
                                    tooltip="load the setting written in the field",
                                    layout=W.Layout(width="80px"))
        self.open_button.add_class("initviz-share-open")
        options = explorer.options
        hideable = HIDEABLE
        self.hide = W.SelectMultiple(options=hideable, value=tuple(n for n in options.hide if n in hideable),
                                     rows=6, description="hide", style={"description_width": "80px"},
                                     layout=W.Layout(width="300px"))
        self.hide.add_class("initviz-share-hide")
        self.play = W.Checkbox(value=options.play, description="start playing (play=1)",
                               indent=False, layout=W.Layout(margin="0 0 0 16px"))
        self.play.add_class("initviz-share-play")
        self.link = W.HTML()
        self.url = W.Text(description="full URL", style={"description_width": "80px"},
                          layout=W.Layout(width="720px", display="none"))
        self.url.add_class("initviz-share-url")
        self.widget = W.VBox([
            W.HBox([self.text, self.open_button]), self.url, self.link, W.HTML(NOTE),
            W.HBox([self.hide, self.play],
                   layout=W.Layout(align_items="flex-start", justify_content="flex-start")),
        ])
        self.hide.observe(explorer.guard(lambda _: self.refresh()), names="value")
        self.play.observe(explorer.guard(lambda _: self.refresh()), names="value")
        self.open_button.on_click(explorer.guard(lambda _: self.open(self.text.value)))
        self.refresh()

    @property
    def options(self) -> AppOptions:
        """The explorer's options (e.g. its preset) with this tab's hide/play choices."""
        return dataclasses.replace(self.explorer.options, hide=tuple(self.hide.value),
                                   play=bool(self.play.value))

    @property
    def query(self) -> str:
        return share_query(self.explorer.config, self.options)

    def refresh(self) -> None:
        query = self.query
        if self.text.value != query:
            self.text.value = query
        full = page_url(query)
        self.url.value = full or ""
        self.url.layout.display = None if full else "none"
        url = full or page_link(query)
        self.link.value = ("" if url is None else
                           f"<a href='{html.escape(url, quote=True)}' target='_blank' "
                           f"class='initviz-share-link'>open this setting in a new tab</a>")

    def open(self, query: str) -> None:
        """Apply a pasted query string (its Config; hide/play go to the link builder). Its bad
        parts are named in the link line; a query with nothing usable changes nothing."""
        link = read_link(query.strip())
        error = ("" if not link.ignored else
                 f"<div class='initviz-share-error' style='color:#c0392b'>"
                 f"{html.escape(link.notice)}</div>")
        if link.ignored and not link.applied:
            self.link.value = error
            return
        self.on_link(link.options)
        self.explorer.options = dataclasses.replace(self.explorer.options,
                                                    preset=link.options.preset)
        self.explorer.set_config(link.config)
        self.refresh()
        self.link.value = error + self.link.value

    # -- Feature hooks ----------------------------------------------------------------------
    def on_link(self, options) -> None:
        """A link's hide/play options become the link builder's (also for a link that reaches
        a preheated kernel after the app was built)."""
        self.hide.value = tuple(n for n in options.hide if n in self.hide.options)
        self.play.value = options.play

    def on_reset(self) -> None:
        self.refresh()
