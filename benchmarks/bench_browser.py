"""The Voila app as a student sees it: headless Chromium against a real Voila server.

    python benchmarks/bench_browser.py                 # a, b, c, d; medians of --repeats
    python benchmarks/bench_browser.py --only a,b      # some of them
    python benchmarks/bench_browser.py --quick         # smoke test (short windows, 1 repeat)

(a) updates/s: visible frames per second of the dashboard canvas (drawImage calls counted by an
    init script) over ~--seconds of play at depth 6, and the epochs/s the page reaches (its epoch
    counter) beside ``Trainer.step``'s epochs/s without any UI, measured in this process between
    the page windows of the same run, and the kernel's CPU share (its /proc CPU time over the
    window's wall time). Each window starts a fresh run and counts only while it is training (a
    settled run slows down on purpose). Also the frames the browser lost (received, replaced
    before they loaded; ``LiveCanvas`` makes the next frame repair them). Once at the default pace
    (issue 13: >= 30 updates/s; report the CPU share) and once at ``?pace=max`` (issue 13:
    >= 20 updates/s, page epochs/s >= raw / 2).
(b) latency: the scale slider moved by one key press on its noUi handle (paused app), from the
    keydown to the next drawImage on the dashboard canvas; N presses. Target: median <= 150 ms (issue 13).
    Also the same while playing (to the first frame of the new run: informational).
(c) cold start: from navigation start to "#loading gone and every visible figure drawn", with
    preheated kernels (a pool of one kernel for explorer.ipynb, as voila.json has it) and without
    (--VoilaConfiguration.preheat_kernel=False), interleaved, a pause between pages so the pool
    refills. Target: <= 5 s.
(d) ten students: --students pages on one Voila server, each pressing play; per-page update
    rate and epochs/s, and the RSS of every kernel process of the server.

Every figure is printed with the load average read before and after it. The machine is shared:
compare the columns of one run, not runs.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))  # the servers module the browser tests use
from servers import CHROMIUM, CHROMIUM_ARGS, COUNT_FRAMES, Server, start_voila  # noqa: E402

# INITVIZ_BENCH_NOTEBOOKS serves another folder holding an explorer.ipynb (for experiments)
NOTEBOOKS = Path(os.environ.get("INITVIZ_BENCH_NOTEBOOKS", REPO / "notebooks"))
APP_PATH = "/voila/render/explorer.ipynb"
# the two variants of voila.json compared in (c), whichever the file holds
PREHEAT_ARGS = ["--VoilaConfiguration.preheat_kernel=True",
                '--VoilaKernelManager.kernel_pools_config={"default": {"pool_size": 0}, '
                '"explorer.ipynb": {"pool_size": 1}}']
NO_PREHEAT_ARGS = ["--VoilaConfiguration.preheat_kernel=False"]

# drawImage calls per canvas with their times (the shared COUNT_FRAMES), and keydown times
INIT_SCRIPT = COUNT_FRAMES + """
window.__keydowns = [];
window.addEventListener('keydown', () => window.__keydowns.push(performance.now()), true);
// frames received (an image's src set to a PNG blob) and frames loaded, over every figure:
// the difference are frames the browser lost (replaced before they loaded; the next repairs them)
window.__framesSent = 0; window.__framesLoaded = 0;
(() => {
  const src = Object.getOwnPropertyDescriptor(HTMLImageElement.prototype, 'src');
  Object.defineProperty(HTMLImageElement.prototype, 'src', {
    get() { return src.get.call(this); },
    set(value) {
      if (String(value).startsWith('blob:')) {
        window.__framesSent += 1;
        if (!this.__initvizCounted) {
          this.__initvizCounted = true;
          this.addEventListener('load', () => { window.__framesLoaded += 1; });
        }
      }
      src.set.call(this, value);
    }});
})();
"""
DASHBOARD = "(() => document.querySelector('.initviz-app div.jupyter-matplotlib-figure canvas'))()"
STATE = f"""() => {{
  const c = {DASHBOARD};
  const text = (document.querySelector('.initviz-epoch') || {{}}).innerText || '';
  const m = text.match(/epoch\\s+(\\d+)/);
  const play = document.querySelector('.initviz-play');
  const status = (document.querySelector('.initviz-status') || {{}}).innerText || '';
  return {{t: performance.now(), frames: c ? (c.__initvizFrames || 0) : 0,
          sent: window.__framesSent, loaded: window.__framesLoaded,
          epoch: m ? Number(m[1]) : -1, training: status.startsWith('training'),
          settled: /^(converged|stuck|symmetric)/.test(status),
          playing: !!(play && play.classList.contains('mod-active'))}};
}}"""
ALL_DRAWN = """() => {
  if (document.querySelector('#loading')) return false;
  const figures = Array.from(document.querySelectorAll('div.jupyter-matplotlib-figure'))
    .filter((f) => f.offsetParent !== null);
  if (!figures.length) return false;
  const drawn = figures.every((f) => Array.from(f.querySelectorAll('canvas'))
    .some((c) => c.width > 0 && (c.__initvizFrames || 0) > 0));
  return drawn ? performance.now() : false;
}"""


def load() -> str:
    return "load " + " ".join(f"{x:.2f}" for x in os.getloadavg())


# ---------------------------------------------------------------- server


def voila(extra: list[str] = (), log: Path | None = None) -> Server:
    """``python -m voila notebooks/`` with the repository's voila.json (plus extra options),
    started and ready."""
    return start_voila(NOTEBOOKS, log or Path(f"/tmp/bench_browser_voila_{time.time_ns()}.log"),
                       *extra)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


# ---------------------------------------------------------------- page helpers


def new_page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(90_000)
    context.add_init_script(INIT_SCRIPT)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    return page


def open_app(page, server: Server, query: str = "") -> float:
    """Open the app; return ms from navigation start to every visible figure drawn."""
    page.goto(server.url + APP_PATH + query, wait_until="commit")
    handle = page.wait_for_function(ALL_DRAWN, polling="raf", timeout=120_000)
    ms = handle.json_value()
    wait_quiet(page)
    return ms


def wait_quiet(page, quiet_ms: int = 400) -> None:
    page.wait_for_function(
        """(quiet) => {
             const now = performance.now(), n = window.__initvizFrames || 0;
             if (window.__settleCount !== n) { window.__settleCount = n; window.__settleAt = now; }
             return now - window.__settleAt > quiet;
           }""", arg=quiet_ms, polling=50, timeout=60_000)


def state(page) -> dict:
    return page.evaluate(STATE)


def set_playing(page, playing: bool) -> None:
    if state(page)["playing"] != playing:
        page.click(".initviz-play")
        page.wait_for_function(f"() => ({STATE})().playing === {str(playing).lower()}")


class PlayMeter:
    """Frames and epochs per second over the time a page was playing a run still training (a
    settled run slows to SETTLED_PACE on purpose: that time is not counted; the run is reset
    and played again, as when it stopped: divergence or a play budget)."""

    def __init__(self, page) -> None:
        self.page, self.frames, self.epochs, self.seconds, self.restarts = page, 0, 0, 0.0, 0
        self.lost = 0  # frames received and replaced before they loaded
        self.last = state(page)

    def sample(self) -> None:
        now = state(self.page)
        last, self.last = self.last, now
        if (last["playing"] and now["playing"] and last["training"] and now["training"]
                and now["epoch"] >= last["epoch"]):
            self.frames += now["frames"] - last["frames"]
            self.lost += (now["sent"] - last["sent"]) - (now["loaded"] - last["loaded"])
            self.epochs += now["epoch"] - last["epoch"]
            self.seconds += (now["t"] - last["t"]) / 1000
        if not now["playing"] or now["settled"]:
            self.restarts += 1
            fresh_run(self.page)
            set_playing(self.page, True)
            self.last = state(self.page)

    @property
    def fps(self) -> float:
        return self.frames / self.seconds if self.seconds else float("nan")

    @property
    def eps(self) -> float:
        return self.epochs / self.seconds if self.seconds else float("nan")


# ---------------------------------------------------------------- raw training speed


def raw_epochs_per_second(seconds: float = 2.0, depth: int = 6) -> float:
    from initviz.core.threads import limit_blas_threads
    from initviz.core.training import Config, Trainer

    limit_blas_threads(1)  # as the Explorer does in the kernel
    trainer = Trainer(Config(depth=depth))
    trainer.step(20)
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        if trainer.epoch >= 4000:
            trainer.reset()
        done += trainer.step(20)
    return done / (time.perf_counter() - start)


# ---------------------------------------------------------------- the four measurements


def kernel_cpu(server: Server) -> dict[int, float]:
    ticks = os.sysconf("SC_CLK_TCK")
    result = {}
    for pid in server.kernel_pids():
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        result[pid] = (int(fields[11]) + int(fields[12])) / ticks
    return result


def fresh_run(page) -> None:
    """Pause, and start the setting again from epoch 0 (the reset button)."""
    set_playing(page, False)
    page.click(".initviz-reset")
    page.wait_for_function(f"() => ({STATE})().epoch === 0")


def measure_play(browser, server, seconds: float, repeats: int, query: str = "") -> list[dict]:
    rows = []
    page = new_page(browser)
    open_app(page, server, query)
    for _ in range(repeats):
        before = load()
        raw_a = raw_epochs_per_second()
        fresh_run(page)  # every window starts a run: the same stretch of training each time
        wait_quiet(page)
        set_playing(page, True)
        meter = PlayMeter(page)
        cpu_start, wall_start = kernel_cpu(server), time.monotonic()
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            time.sleep(0.25)
            meter.sample()
        cpu_end, wall = kernel_cpu(server), time.monotonic() - wall_start
        # the page's kernel: the one that used the most CPU in the window
        share = max((cpu_end[pid] - cpu_start[pid] for pid in cpu_end if pid in cpu_start),
                    default=float("nan")) / wall
        set_playing(page, False)
        wait_quiet(page)
        raw_b = raw_epochs_per_second()
        raw = (raw_a + raw_b) / 2
        rows.append({"updates/s": meter.fps, "lost/s": meter.lost / meter.seconds,
                     "page epochs/s": meter.eps, "raw epochs/s": raw,
                     "page/raw": meter.eps / raw, "kernel CPU share": share,
                     "played s": meter.seconds,
                     "restarts": meter.restarts, "load": f"{before} -> {load()}"})
        print(f"  (a) {rows[-1]}", flush=True)
    assert not page.errors, page.errors
    page.context.close()
    return rows


def measure_latency(browser, server, presses: int, playing: bool) -> list[float]:
    page = new_page(browser)
    open_app(page, server)
    handle = page.locator(".initviz-scale .noUi-handle")
    latencies = []
    for i in range(presses):
        if playing:
            set_playing(page, True)
            # far enough that the new run cannot pass it between two polls of the counter
            page.wait_for_function(f"() => ({STATE})().epoch >= 300")
        else:
            wait_quiet(page)
        handle.focus()
        before = state(page)
        handle.press("ArrowRight" if i % 2 == 0 else "ArrowLeft")
        if playing:  # the first frame drawn after the epoch counter restarted (the new run)
            page.wait_for_function(f"(e) => ({STATE})().epoch < e", arg=before["epoch"])
            reset_at = page.evaluate("performance.now()")
            wait_frame = f"""(since) => {{ const c = {DASHBOARD};
                  return (c.__initvizTimes || []).some((t) => t > since); }}"""
            page.wait_for_function(wait_frame, arg=reset_at - 30)
            ms = page.evaluate(f"""(since) => {{ const c = {DASHBOARD};
                  const k = window.__keydowns[window.__keydowns.length - 1];
                  return c.__initvizTimes.find((t) => t > since) - k; }}""", reset_at - 30)
        else:
            page.wait_for_function(f"""() => {{ const c = {DASHBOARD};
                  const k = window.__keydowns[window.__keydowns.length - 1];
                  return (c.__initvizTimes || []).some((t) => t > k); }}""")
            ms = page.evaluate(f"""() => {{ const c = {DASHBOARD};
                  const k = window.__keydowns[window.__keydowns.length - 1];
                  return c.__initvizTimes.find((t) => t > k) - k; }}""")
        latencies.append(ms)
    if playing:
        set_playing(page, False)
    assert not page.errors, page.errors
    page.context.close()
    return latencies


def measure_cold(browser, servers: dict[str, Server], repeats: int, pause: float) -> dict[str, list]:
    times: dict[str, list] = {name: [] for name in servers}
    for _ in range(repeats):
        for name, server in servers.items():
            time.sleep(pause)  # let the pool refill and the last kernel settle
            before = load()
            page = new_page(browser)
            ms = open_app(page, server)
            times[name].append((ms, before))
            print(f"  (c) {name}: {ms:.0f} ms ({before})", flush=True)
            assert not page.errors, page.errors
            page.context.close()
    return times


def measure_students(browser, server: Server, students: int, seconds: float) -> dict:
    pages = []
    for _ in range(students):
        page = new_page(browser)
        open_app(page, server)
        pages.append(page)
    before = load()
    for page in pages:
        page.click(".initviz-play")
    time.sleep(2.0)  # everyone is playing
    meters = [PlayMeter(page) for page in pages]
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for meter in meters:
            meter.sample()
        time.sleep(0.5)
    kernels = sorted(server.kernel_pids())
    rss = [rss_mb(pid) for pid in kernels]
    result = {"fps": [m.fps for m in meters], "eps": [m.eps for m in meters],
              "lost": [m.lost / m.seconds if m.seconds else float("nan") for m in meters],
              "rss": rss, "load": f"{before} -> {load()}",
              "errors": sum(len(p.errors) for p in pages)}
    for page in pages:
        page.context.close()
    return result


# ---------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="a,b,c,d")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--presses", type=int, default=15)
    parser.add_argument("--students", type=int, default=10)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.repeats, args.presses, args.students = 3.0, 1, 3, 2
    only = set(args.only.split(","))
    sys.path.insert(0, str(REPO))
    from playwright.sync_api import sync_playwright

    print(f"{time.strftime('%Y-%m-%d %H:%M')}  {os.cpu_count()} cores  {load()}")
    server = voila()  # voila.json as it is
    variants = {"preheated": voila(PREHEAT_ARGS), "no preheat": voila(NO_PREHEAT_ARGS)} if "c" in only else {}
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            if "a" in only:
                for pace, query, target in (("default", "", "updates/s >= 30"),
                                            ("max", "?pace=max", "updates/s >= 20, page/raw >= 0.5")):
                    rows = measure_play(browser, server, args.seconds, args.repeats, query)
                    med = {k: statistics.median(r[k] for r in rows)
                           for k in ("updates/s", "lost/s", "page epochs/s", "raw epochs/s", "page/raw",
                                     "kernel CPU share")}
                    print(f"(a) play at depth 6, pace {pace}, medians of {len(rows)} x "
                          f"{args.seconds:.0f} s: {med['updates/s']:.1f} updates/s "
                          f"({med['lost/s']:.1f} frames/s lost and repaired), page "
                          f"{med['page epochs/s']:.0f} epochs/s vs raw Trainer.step "
                          f"{med['raw epochs/s']:.0f} epochs/s = {med['page/raw']:.2f}, kernel CPU "
                          f"share {med['kernel CPU share']:.2f} (targets: {target})")
            if "b" in only:
                for playing in (False, True):
                    before = load()
                    ms = measure_latency(browser, server, args.presses, playing)
                    print(f"(b) slider -> first redrawn frame {'playing' if playing else 'paused'}: "
                          f"median {statistics.median(ms):.0f} ms, min {min(ms):.0f}, "
                          f"max {max(ms):.0f} (n={len(ms)}; target median <= 150 (issue 13); "
                          f"{before} -> {load()})")
                    print("    " + " ".join(f"{x:.0f}" for x in ms))
            if "c" in only:
                times = measure_cold(browser, variants,
                                     args.repeats + 2, 1.0 if args.quick else 12.0)
                for name, values in times.items():
                    ms = [v for v, _ in values]
                    print(f"(c) cold start, {name}: median {statistics.median(ms) / 1000:.2f} s "
                          f"(min {min(ms) / 1000:.2f}, max {max(ms) / 1000:.2f}, n={len(ms)}; "
                          f"target <= 5 s)")
            if "d" in only:
                r = measure_students(browser, server, args.students, args.seconds)
                print(f"(d) {args.students} students on one server, {args.seconds:.0f} s of play "
                      f"({r['load']}), page errors: {r['errors']}")
                print(f"    updates/s per page: {' '.join(f'{x:.1f}' for x in r['fps'])} "
                      f"(min {min(r['fps']):.1f}, median {statistics.median(r['fps']):.1f})")
                print(f"    epochs/s per page:  {' '.join(f'{x:.0f}' for x in r['eps'])}")
                print(f"    frames lost/s per page: {' '.join(f'{x:.1f}' for x in r['lost'])}")
                print(f"    kernel RSS MB ({len(r['rss'])} kernels): "
                      f"{' '.join(f'{x:.0f}' for x in r['rss'])} "
                      f"(median {statistics.median(r['rss']) if r['rss'] else float('nan'):.0f})")
            browser.close()
    finally:
        server.stop()
        for variant in variants.values():
            variant.stop()


if __name__ == "__main__":
    main()
