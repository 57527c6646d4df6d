"""The base class of the teaching features, one tab each under the Explorer's dashboard.

A feature is built as ``SomeFeature(explorer)``, shows ``widget`` in a tab titled ``title`` and
is told what happens through three hooks, all no-ops here, so a feature overrides only the ones
it needs:

- ``on_reset()``: the network was re-drawn for a new setting (a control moved, reset, a preset,
  a link); called before the first frame of that setting.
- ``on_frame()``: a dashboard frame was drawn (up to ~38 a second while playing): keep it cheap.
- ``on_link(options)``: a share link's hide/play/preset options reached a running app (a
  preheated Voila kernel gets its page's link after the app was built).

Features talk to the Explorer through its public interface only: ``config``, ``trainer``,
``dashboard``, ``frame``, ``options``, ``controls``, ``tabs``, ``errors``, ``playing``,
``set_config()``, ``pause()``, ``render()``, ``guard(callback)`` (wrap every widget callback:
runs it on the kernel's loop, shows its exception under the app), ``report_error()`` (show the
exception being handled) and ``event_loop`` (where background work runs as a task; None in a
plain script, where it runs at once).
"""
from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar, Protocol

if TYPE_CHECKING:
    import ipywidgets as W

    from initviz.app.explorer import Explorer
    from initviz.app.share import AppOptions


class SlicedJob(Protocol):
    """Background work in time-boxed slices (``core.sweep.Sweep`` and its subclasses)."""

    done: bool

    def advance(self, budget: float) -> bool: ...


async def run_in_slices(explorer: Explorer, job: SlicedJob, budget: float,
                        on_slice: Callable[[], None], on_done: Callable[[], None],
                        on_end: Callable[[], None]) -> None:
    """Advance ``job`` one slice of about ``budget`` seconds per turn of the event loop, so the
    page stays live: ``on_slice()`` after each slice that made progress, ``on_done()`` once the
    job is done, ``on_end()`` always (also when cancelled); an error goes to the errors box."""
    try:
        while not job.done:
            if job.advance(budget):
                on_slice()
            await asyncio.sleep(0)
        on_done()
    except asyncio.CancelledError:
        raise
    except Exception:
        explorer.report_error()
    finally:
        on_end()


class Feature:
    """One tab under the Explorer: set ``title``, build ``self.widget``, override hooks as needed.

    Subclasses call ``super().__init__(explorer)`` first; it keeps ``self.explorer``.
    """

    title: ClassVar[str] = ""
    widget: W.Widget

    def __init__(self, explorer: Explorer) -> None:
        self.explorer = explorer

    def on_reset(self) -> None:
        """The network was re-drawn for a new setting (nothing to do by default)."""

    def on_frame(self) -> None:
        """A dashboard frame was drawn; must be cheap (nothing to do by default)."""

    def on_link(self, options: AppOptions) -> None:
        """A share link's options reached the running app (nothing to do by default)."""

    def on_close(self) -> None:
        """The Explorer is closing: stop any background work of this tab (nothing by default)."""
