"""Shareable state: a setting as a URL query string, and the app options a teacher can add.

``?initializer=zeros&activation=tanh&depth=12`` opens the Voila app on that setting (Voila puts
the page's query string in the kernel's ``QUERY_STRING`` environment variable). App options
beside the Config fields: ``hide=depth,width`` hides those controls (teacher mode), ``play=1``
starts training at once, ``pace=10`` sets the playing speed in epochs per second
(``initviz.app.pace``; ``pace=max`` is the fastest), ``preset=zeros`` starts from a preset (``initviz.core.presets``), the
other keys then change that preset: ``?preset=he_relu&depth=30``.

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
from urllib.parse import parse_qsl, urlencode

from initviz.app.pace import pace_label, snap_pace
from initviz.core import presets
from initviz.core.training import Config

APP_KEYS = ("hide", "play", "preset", "pace")


@dataclass(frozen=True)
class AppOptions:
    """What a link can ask of the app besides the Config."""

    hide: tuple[str, ...] = field(default_factory=tuple)
    play: bool = False
    preset: str | None = None  # the link's settings are changes to this preset
    pace: float | None = None  # epochs per second while playing (None: the app's default)

    def to_pairs(self) -> list[tuple[str, str]]:
        pairs = []
        if self.preset:
            pairs.append(("preset", self.preset))
        if self.hide:
            pairs.append(("hide", ",".join(self.hide)))
        if self.play:
            pairs.append(("play", "1"))
        if self.pace is not None:
            pairs.append(("pace", pace_label(self.pace)))
        return pairs


def parse_query(query: str) -> tuple[Config, AppOptions]:
    """Split a query string into a Config and AppOptions; unknown keys raise ValueError.

    With ``preset=name`` the other Config keys change that preset instead of the defaults.
    """
    pairs = parse_qsl(query.lstrip("?"), keep_blank_values=True)
    app = {key: value for key, value in pairs if key in APP_KEYS}
    config_pairs = [(k, v) for k, v in pairs if k not in APP_KEYS]
    config = Config.from_query(urlencode(config_pairs))
    preset = None
    if app.get("preset"):
        try:
            preset = presets.get(app["preset"]).name
        except ValueError as error:
            raise ValueError(f"preset: {error}") from None
        given = {key for key, _ in config_pairs}
        config = presets.config(preset).replace(**{k: getattr(config, k) for k in given})
    hide = tuple(name.strip() for name in app.get("hide", "").split(",") if name.strip())
    unknown = set(hide) - set(Config.field_names())
    if unknown:
        raise ValueError(f"hide: unknown control(s) {sorted(unknown)}; valid: {', '.join(Config.field_names())}")
    play = app.get("play", "0").lower() in ("1", "true", "yes")
    pace = None
    if app.get("pace"):
        try:
            pace = snap_pace(app["pace"][:20])
        except ValueError as error:
            raise ValueError(f"pace: {error}") from None
    return config, AppOptions(hide=hide, play=play, preset=preset, pace=pace)


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
    changed = {k: v for k, v in config.to_dict().items() if getattr(base, k) != v}
    return urlencode({k: "none" if v is None else (repr(v) if isinstance(v, float) else str(v))
                      for k, v in sorted(changed.items())})


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
