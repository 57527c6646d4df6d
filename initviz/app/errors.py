"""The errors box under the app: the last few messages, never an endless scroll.

Every widget callback runs through ``Explorer.guard``; an exception there, a refused control
change or a failed feature ends up here (plain text in an ``Output`` widget, so nothing in a
message is ever read as HTML). Only the last ``MAX_MESSAGES`` are kept: a callback that fails on
every frame cannot grow the page (or the kernel's memory) without bound.
"""
from __future__ import annotations

import ipywidgets as W

MAX_MESSAGES = 5
MAX_CHARS = 4000  # of one message (a long traceback keeps its end, where the error is)


class ErrorLog(W.Output):
    """An Output widget (``.initviz-errors``) holding the last ``MAX_MESSAGES`` messages."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("layout", W.Layout(max_height="160px", overflow="auto"))
        super().__init__(**kwargs)
        self.add_class("initviz-errors")
        self.messages: list[str] = []

    def report(self, text: str) -> None:
        """Show ``text`` (a message or a traceback) as the newest entry."""
        text = text if text.endswith("\n") else text + "\n"
        if len(text) > MAX_CHARS:
            text = "…" + text[-MAX_CHARS:]
        self.messages = [*self.messages, text][-MAX_MESSAGES:]
        self.outputs = tuple({"output_type": "stream", "name": "stderr", "text": m}
                             for m in self.messages)

    def append_stderr(self, text: str) -> None:  # the Output API, kept to the last few too
        self.report(text)

    def clear(self) -> None:
        self.messages = []
        self.outputs = ()
