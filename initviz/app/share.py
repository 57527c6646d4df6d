"""Shareable state: a setting as a URL query string, and the app options a teacher can add.

``?initializer=zeros&activation=tanh&depth=12`` opens the Voila app on that setting (Voila puts
the page's query string in the kernel's ``QUERY_STRING`` environment variable). App options
beside the Config fields: ``hide=depth,width`` hides those controls (teacher mode), ``play=1``
starts training at once, ``preset=zeros`` starts from a preset (``initviz.core.presets``), the
other keys then change that preset: ``?preset=he_relu&depth=30``; ``reveal=0`` keeps a preset's
explanation hidden (a teacher's link: the class predicts, the teacher explains).
``pace=10`` sets the playing speed in epochs per second (``initviz.app.pace``;
``pace=max`` is the fastest).

Preheated Voila kernels (voila.json's kernel pool) run the notebook before anyone asks for the
page, so the query string is not known while the Explorer is built: ``preheated()`` says so, and
``when_requested(callback)`` calls back with the query once the request arrives. The wait is in a
thread, not in the cell: a cell waiting for a visitor would hit Voila's executor timeout (60 s in
voila.json) and the next visitor would get a page with a timed-out cell.
"""
from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

from initviz.app.pace import pace_label, snap_pace
from initviz.core import presets
from initviz.core.config import (
    FIELDS,
    MAX_VALUE_LENGTH,
    Config,
    changes_query,
    parse_value,
    query_pairs,
)

APP_KEYS = ("hide", "play", "preset", "reveal", "pace")

SERVER_KEYS = frozenset({"theme", "template", "token", "voila-theme", "voila-template",
                         "kernel_name"})
"""Keys that belong to Voila or the Jupyter server (``?theme=dark``, ``?token=...``): not ours,
passed over without a word."""
TRACKING_KEYS = frozenset({"fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid",
                           "igshid", "mc_cid", "mc_eid", "_ga", "_gl", "_hsenc", "_hsmi",
                           "mkt_tok", "ref", "ref_src", "si", "twclid", "ttclid", "li_fat_id"})
"""Keys that forums, mail and social sites add to a pasted link; also every ``utm_*`` key."""
PLAY_WORDS = {"1": True, "true": True, "yes": True, "on": True,
              "0": False, "false": False, "no": False, "off": False, "": False}


@dataclass(frozen=True)
class AppOptions:
    """What a link can ask of the app besides the Config."""

    hide: tuple[str, ...] = field(default_factory=tuple)
    play: bool = False
    preset: str | None = None  # the link's settings are changes to this preset
    reveal: bool = True  # False (?reveal=0): a preset's explanation stays hidden, no reveal button
    pace: float | None = None  # epochs per second while playing (None: the app's default)

    def to_pairs(self) -> list[tuple[str, str]]:
        pairs = []
        if self.preset:
            pairs.append(("preset", self.preset))
        if self.hide:
            pairs.append(("hide", ",".join(self.hide)))
        if self.play:
            pairs.append(("play", "1"))
        if not self.reveal:
            pairs.append(("reveal", "0"))
        if self.pace is not None:
            pairs.append(("pace", pace_label(self.pace)))
        return pairs


@dataclass(frozen=True)
class Link:
    """What a share link asks for, read leniently: ``config`` and ``options`` from its valid
    parts, and ``ignored``: ``(part, reason)`` for each part that was dropped."""

    config: Config
    options: AppOptions
    ignored: tuple[tuple[str, str], ...] = ()
    applied: tuple[str, ...] = ()  # the keys that were used

    @property
    def notice(self) -> str:
        """One line for the page (plain text; escape it for HTML): what was ignored and why."""
        if not self.ignored:
            return ""
        return "Ignored in the link: " + "; ".join(f"{part} ({reason})" for part, reason in self.ignored)


def _silent(key: str) -> bool:
    key = key.lower()
    return key in SERVER_KEYS or key in TRACKING_KEYS or key.startswith("utm_")


def _shown(key: str, value: str | None = None) -> str:
    """A link part as the notice shows it: short, and never longer than the limits."""
    text = key if value is None else f"{key}={value}"
    return text if len(text) <= 40 else text[:37] + "..."


def read_link(query: str) -> Link:
    """The settings of a share link, never raising for its content.

    Each part is judged alone: Voila's own keys and tracking keys are passed over silently;
    unknown keys, malformed or out-of-range values, a second copy of a key, an unknown preset
    or control name are dropped and listed in ``ignored`` with the reason; the valid parts are
    applied (to ``preset=``'s setting if it names one, else to the defaults). Parts that are
    valid alone but not together (a setting over the memory budget) are dropped in the field
    table's order, the first that breaks the setting first. Linear in the query's length; a
    query over ``MAX_QUERY_LENGTH`` characters is ignored whole.
    """
    ignored: list[tuple[str, str]] = []
    try:
        pairs = query_pairs(query, strict=False)
    except ValueError as error:
        return Link(Config(), AppOptions(), (("the whole link", str(error)),))
    fields: dict[str, object] = {}
    app: dict[str, str] = {}
    for key, text in pairs:
        if _silent(key):
            continue
        if len(key) > MAX_VALUE_LENGTH:
            ignored.append((_shown(key), "unknown key"))
            continue
        if key in fields or key in app:
            ignored.append((_shown(key, text), "given more than once; the first is used"))
            continue
        if key in APP_KEYS:
            app[key] = text
        elif key in FIELDS:
            try:
                fields[key] = parse_value(key, text)
            except ValueError as error:
                ignored.append((_shown(key, text), str(error)))
        else:
            ignored.append((_shown(key), "unknown key"))
    base, preset = Config(), None
    if "preset" in app:
        try:
            preset = presets.get(app["preset"]).name
            base = presets.config(preset)
        except ValueError as error:
            ignored.append((_shown("preset", app["preset"]), str(error)))
    accepted: dict[str, object] = {}
    for key, value in sorted(fields.items(), key=lambda item: list(FIELDS).index(item[0])):
        try:
            base.replace(**accepted, **{key: value})
        except ValueError as error:
            ignored.append((_shown(key, str(value)), str(error)))
        else:
            accepted[key] = value
    hide = []
    for name in (n.strip() for n in app.get("hide", "").split(",")):
        if not name:
            continue
        if name in FIELDS and FIELDS[name].hideable:
            hide.append(name) if name not in hide else None
        else:
            ignored.append((_shown("hide", name), "no such control; controls: "
                            + ", ".join(n for n, spec in FIELDS.items() if spec.hideable)))
    play = PLAY_WORDS.get(app.get("play", "0").strip().lower())
    if play is None:
        ignored.append((_shown("play", app["play"]), "expected 1 or 0"))
        play = False
    reveal = PLAY_WORDS.get(app.get("reveal", "1").strip().lower(), None) if "reveal" in app else True
    if reveal is None:
        ignored.append((_shown("reveal", app["reveal"]), "expected 1 or 0"))
        reveal = True
    pace = None
    if app.get("pace"):
        try:
            pace = snap_pace(app["pace"])
        except ValueError as error:
            ignored.append((_shown("pace", app["pace"]), str(error)))
    applied = (*(["preset"] if preset else []), *accepted, *(["hide"] if hide else []),
               *(["play"] if "play" in app and play else []),
               *(["reveal"] if "reveal" in app and reveal is not None else []),
               *(["pace"] if pace is not None else []))
    return Link(base.replace(**accepted),
                AppOptions(hide=tuple(hide), play=play, preset=preset, reveal=reveal, pace=pace),
                tuple(ignored), tuple(applied))


def parse_query(query: str) -> tuple[Config, AppOptions]:
    """Split a query string into a Config and AppOptions, strictly: anything that
    ``read_link`` would ignore (except Voila's own and tracking keys) raises ValueError.

    With ``preset=name`` the other Config keys change that preset instead of the defaults.
    """
    link = read_link(query)
    if link.ignored:
        part, reason = link.ignored[0]
        raise ValueError(f"{part}: {reason}")
    return link.config, link.options


def to_query(config: Config, options: AppOptions | None = None) -> str:
    """The query string that reopens ``config`` (and the app options).

    With ``options.preset`` the Config keys are written as changes to that preset.
    """
    if options is not None and options.preset:
        pairs = options.to_pairs()  # preset first, then the changes to it, then hide/play
        parts = [urlencode(pairs[:1]), _changes(presets.config(options.preset), config),
                 urlencode(pairs[1:])]
    else:
        parts = [config.to_query()]
        if options is not None and options.to_pairs():
            parts.append(urlencode(options.to_pairs()))
    return "&".join(p for p in parts if p)


def _changes(base: Config, config: Config) -> str:
    """``config``'s fields that differ from ``base``, in Config.to_query's format."""
    return changes_query(base, config)


def page_query() -> str:
    """The query string of the Voila page this kernel serves ('' outside Voila, and '' in a
    preheated kernel before its request: see ``when_requested``)."""
    return os.environ.get("QUERY_STRING", "")


_lock = threading.Lock()
_waiting: list[Callable[[str], None]] = []  # callbacks for the request of this preheated kernel
_requested = False


def preheated() -> bool:
    """True in a preheated Voila kernel that has not received its page's request yet."""
    return os.environ.get("VOILA_PREHEAT", "False") == "True" and not _requested


def when_requested(callback: Callable[[str], None]) -> None:
    """Call ``callback(query)`` once this preheated kernel's page was requested (from a thread:
    the callback hands the work to the kernel's event loop). Outside preheat mode, at once.

    The request's ``QUERY_STRING``, ``SCRIPT_NAME``, ... go into ``os.environ`` first, as
    ``voila.utils.wait_for_request`` does. The request comes once: one thread waits for all."""
    with _lock:
        if not preheated():
            run_now = True
        else:
            run_now = False
            _waiting.append(callback)
            start = len(_waiting) == 1
    if run_now:
        callback(page_query())
        return
    if start:
        threading.Thread(target=_wait_for_request, name="initviz-wait-for-request",
                         daemon=True).start()


def _request_info_url() -> str:
    """Where Voila hands a preheated kernel its request (as ``voila.utils.wait_for_request``)."""
    env = os.environ
    base = env.get("VOILA_WS_BASE_URL", env.get("VOILA_SERVER_URL", "/"))
    return (f"{env.get('VOILA_WS_PROTOCOL', 'ws')}://{env.get('VOILA_APP_IP', '127.0.0.1')}:"
            f"{env.get('VOILA_APP_PORT', '8866')}{base}voila/query/{env.get('VOILA_KERNEL_ID')}")


def _receive_request_info() -> dict | None:
    """The request's environment (QUERY_STRING, SCRIPT_NAME, ...) once the page is requested.

    ``voila.utils.wait_for_request`` does this too, but importing ``voila.utils`` imports Voila's
    whole server stack (1.5 s of CPU here, in every preheated kernel); this needs ``websockets``
    only (a Voila dependency, 0.07 s)."""
    import asyncio
    import json

    import websockets

    async def receive() -> str:
        async with websockets.connect(_request_info_url(), open_timeout=5) as websocket:
            return await websocket.recv()

    loop = asyncio.new_event_loop()
    try:
        return json.loads(loop.run_until_complete(receive()))
    except (OSError, TimeoutError, ValueError, websockets.exceptions.WebSocketException):
        return None  # no request info: the app stays on its defaults
    finally:
        loop.close()


KEEP_ALIVE_PERIOD = 1.0  # seconds between a waiting pool kernel's signs of life


def _keep_alive(stop: threading.Event, period: float = KEEP_ALIVE_PERIOD) -> None:
    """While this preheated kernel waits in Voila's pool, publish a message on IOPub every
    ``period`` seconds that jupyter_server counts as kernel activity (a ``comm_msg``: status and
    output messages are not counted), so the idle culler never takes a pool kernel, however long
    it waited, in the moment between Voila handing it to a page and the page connecting (that
    race left a student a dead page). No front-end is connected yet to receive it; once the page
    has asked for the kernel, the messages stop and normal culling applies."""
    try:
        from IPython import get_ipython

        kernel = get_ipython().kernel
        topic = kernel._topic("comm")  # as ipykernel prefixes its IOPub topics (private API)
    except Exception:  # not in an ipykernel: nothing to keep alive
        return
    while not stop.wait(period):
        kernel.session.send(kernel.iopub_socket, "comm_msg",
                            {"comm_id": "initviz-keep-alive", "data": {}}, ident=topic)


def _wait_for_request() -> None:
    global _requested
    stop = threading.Event()
    threading.Thread(target=_keep_alive, args=(stop,), name="initviz-keep-alive",
                     daemon=True).start()
    try:
        info = _receive_request_info()
    finally:
        stop.set()
    if info:
        os.environ.update({str(k): str(v) for k, v in info.items()})
    with _lock:
        _requested = True
        callbacks = list(_waiting)
        _waiting.clear()
    for callback in callbacks:
        callback(page_query())
