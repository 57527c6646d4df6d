"""Serving the app to a class: a kernel manager that caps the kernels of one server.

Voila starts one kernel per page, and a page's kernel holds ~140 MB and, while playing, up to a
core. :class:`LimitedKernelManager` starts at most ``max_kernels`` of them: the next page gets an
HTTP 503 page saying the server is full, instead of a kernel the machine cannot afford. Before
refusing, it shuts down kernels that no page has been connected to for ``reclaim_after`` seconds
since they started: Voila's shutdown request from a closed page does not reach the server
(voila#1458), so without this a student who reloads would take a second place until the culler.

Used by ``initviz app --max-kernels N`` (through ``VoilaConfiguration.multi_kernel_manager_class``)
and by deploy/jupyterhub/jupyterhub_config.py (``ServerApp.kernel_manager_class``). Imported only
by the Jupyter server, never by the widgets: it needs jupyter_server and tornado.
"""
from __future__ import annotations

import time
import uuid

from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from tornado.web import HTTPError
from traitlets import Float, Integer

# The reason phrase of the 503 (Voila's and jupyter_server's error pages show it as the title):
# one line of plain ASCII, since it is also the HTTP status line.
FULL_MESSAGE = ("This initviz server is full: it serves {max_kernels} open pages at once. "
                "Please try again in a few minutes, or ask your teacher.")


class LimitedKernelManager(AsyncMappingKernelManager):
    """At most ``max_kernels`` kernels; kernels with no page connected give their place first."""

    max_kernels = Integer(0, min=0, config=True,
                          help="Kernels (pages) this server runs at once; 0 means no limit.")
    reclaim_after = Float(60.0, min=0.0, config=True,
                          help="A kernel started this many seconds ago with no page connected "
                               "is shut down when a new page needs its place.")

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._starting: set[str] = set()  # kernel ids being started (not yet counted by len)
        self._started_at: dict[str, float] = {}
        if self.max_kernels:
            self.log.info("initviz kernel limit: at most %d kernels (pages) at once",
                          self.max_kernels)

    def _in_use(self) -> set[str]:
        return set(self.list_kernel_ids()) | self._starting

    def _abandoned(self) -> list[str]:
        """Kernels no page is connected to, past their start-up grace, oldest first."""
        now = time.monotonic()
        ids = [k for k in self.list_kernel_ids()
               if self._kernel_connections.get(k, 0) == 0 and k not in self._starting
               and now - self._started_at.get(k, 0.0) >= self.reclaim_after]
        return sorted(ids, key=lambda k: self._started_at.get(k, 0.0))

    async def start_kernel(self, *, kernel_id: str | None = None, **kwargs) -> str:
        if kernel_id is not None and kernel_id in self:
            return await super().start_kernel(kernel_id=kernel_id, **kwargs)
        if self.max_kernels:
            for stale in self._abandoned():
                if len(self._in_use()) < self.max_kernels:
                    break
                self.log.info("Kernel %s has no page connected: shutting it down to make room",
                              stale)
                await self.shutdown_kernel(stale)
            if len(self._in_use()) >= self.max_kernels:
                self.log.warning("Refused a new kernel: %d of %d running", len(self._in_use()),
                                 self.max_kernels)
                raise HTTPError(503, reason=FULL_MESSAGE.format(max_kernels=self.max_kernels))
        kernel_id = kernel_id or str(uuid.uuid4())
        self._starting.add(kernel_id)
        try:
            kernel_id = await super().start_kernel(kernel_id=kernel_id, **kwargs)
        finally:
            self._starting.discard(kernel_id)
        self._started_at[kernel_id] = time.monotonic()
        return kernel_id

    def remove_kernel(self, kernel_id: str):
        self._started_at.pop(kernel_id, None)
        return super().remove_kernel(kernel_id)
