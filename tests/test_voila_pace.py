"""Pace and cost in the real Voila app: the speed control, and a closed page's kernel going quiet.

Voila 0.5 does not shut a closed page's kernel down (voila#1458): the app itself must notice that
no page shows it any more (its hidden heartbeat stops ticking) and stop training.
"""
from __future__ import annotations

import os
import time

import pytest
from servers import COUNT_FRAMES
from test_voila import epoch, open_app

pytestmark = pytest.mark.browser

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from /proc/PID/stat."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def kernel_cpu(server) -> dict[int, float]:
    result = {}
    for pid in server.kernel_pids():
        try:
            result[pid] = cpu_seconds(pid)
        except OSError:
            pass
    return result


def test_pace_control_in_the_page(page, voila_server):
    open_app(page, voila_server)
    readout = page.locator(".initviz-pace .widget-readout")
    assert readout.inner_text().strip() == "50"
    handle = page.locator(".initviz-pace .noUi-handle")
    handle.focus()
    for _ in range(2):  # 50 -> 10 epochs/s
        handle.press("ArrowLeft")
    page.wait_for_function("() => document.querySelector('.initviz-pace .widget-readout')"
                           ".innerText.trim() === '10'")
    page.click(".initviz-play")
    page.wait_for_function(
        """() => Number((document.querySelector('.initviz-epoch').innerText
                   .match(/epoch\\s+(\\d+)/) || [0, 0])[1]) >= 2""")
    first, start = epoch(page), time.monotonic()
    time.sleep(3.0)
    rate = (epoch(page) - first) / (time.monotonic() - start)
    page.click(".initviz-play")  # pause
    assert 6 <= rate <= 12, f"{rate:.1f} epochs/s at the 10 epochs/s stop"
    page.errors.check()


def test_closed_page_stops_costing_cpu(browser, voila_server):
    """Play, close the page, and watch the page's kernel: within 15 s it stops using CPU."""
    before = set(voila_server.kernel_pids())
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(60_000)
    context.add_init_script(COUNT_FRAMES)
    page = context.new_page()
    page.errors = []
    open_app(page, voila_server)
    page.click(".initviz-play")
    page.locator(".initviz-pace .noUi-handle").focus()
    page.keyboard.press("End")  # the fastest pace: the most CPU
    page.wait_for_function("() => document.querySelector('.initviz-pace .widget-readout')"
                           ".innerText.trim() === 'max'")
    time.sleep(3.0)
    start = kernel_cpu(voila_server)
    time.sleep(3.0)
    end = kernel_cpu(voila_server)
    used = {pid: end[pid] - start[pid] for pid in end if pid in start}
    playing = max(used, key=used.get)
    assert used[playing] > 0.5, f"no kernel is busy playing: {used} (kernels before: {before})"
    assert "pause" in page.locator(".initviz-play").inner_text()
    context.close()  # the student closes the tab
    closed = time.monotonic()
    time.sleep(15.0)
    quiet_from = cpu_seconds(playing)
    time.sleep(5.0)
    after = cpu_seconds(playing) - quiet_from
    assert playing in voila_server.kernel_pids()  # alive: the app paused itself (voila#1458)
    assert after < 0.25, (f"the closed page's kernel used {after:.2f} s of CPU in 5 s, "
                          f"{time.monotonic() - closed - 5:.0f} s after the page closed")
