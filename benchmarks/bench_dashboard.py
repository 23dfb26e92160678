"""How fast does the sponsor dashboard open, react and scale, served and as a static file?

Serves one project run with ``clearlib.dashboard.start_server`` (the same Voilà flags as
``clearlib dashboard serve``) and drives Debian's headless Chromium with Playwright. Prints:

(c) time to first render (the page's charts drawn), preheated and not, against the floor: an
    empty notebook served by the same Voilà with the same flags. Targets: preheated ≤ 2 s and
    ≤ 1.5 × the floor. And a widget change (one slider step) to updated cards and charts:
    target < 300 ms.
(d) 20 concurrent viewers: how many render, and the resident memory of the Voilà process tree
    before, at the peak and after idle kernels are culled (a short cull timeout here).
(e) the static export: its size (target < 5 MB), the time to write it and to open it from
    ``file://`` with the network blocked.

Prints figures, ratios and the load average; asserts nothing. Run with ``make bench`` or::

    .venv/bin/python benchmarks/bench_dashboard.py [--run runs/<run-id>] [--viewers 20]

Without ``--run`` the project workbook is executed once with Papermill (about a minute).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import tempfile
import time
from pathlib import Path

import nbformat
import psutil

from clearlib.dashboard import export_html, start_server

REPO = Path(__file__).resolve().parents[1]
WORKBOOK = REPO / "templates" / "project" / "anticipatory-care-workforce.ipynb"
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 600_000
DASHBOARD_READY = "document.querySelectorAll('.js-plotly-plot').length >= 4"
EMPTY_READY = "document.body.innerText.includes('ready')"


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} cores"


def _rss_mb(pid: int) -> float:
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0
    total = 0
    for p in procs:
        with contextlib.suppress(psutil.NoSuchProcess):
            total += p.memory_info().rss
    return total / 1e6


def _make_run(folder: Path) -> Path:
    import papermill

    run = folder / "bench-run"
    run.mkdir()
    t = time.perf_counter()
    papermill.execute_notebook(
        str(WORKBOOK),
        str(run / "notebook.ipynb"),
        parameters={"output_dir": str(run)},
        cwd=str(run),
        kernel_name="python3",
        progress_bar=False,
    )
    print(f"project workbook executed in {time.perf_counter() - t:.1f} s -> {run}")
    return run


def _empty_notebook(folder: Path) -> Path:
    path = folder / "empty.ipynb"
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell('print("ready")')]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)
    return path


def _first_render(browser, url: str, ready: str, trials: int, pause: float) -> list[float]:
    times = []
    for _ in range(trials):
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        t = time.perf_counter()
        page.goto(url, timeout=TIMEOUT_MS)
        page.wait_for_function(ready, timeout=TIMEOUT_MS)
        times.append(time.perf_counter() - t)
        context.close()
        time.sleep(pause)  # let the pool refill a preheated kernel
    return times


def _widget_change(browser, url: str, steps: int) -> list[float]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(url, timeout=TIMEOUT_MS)
    page.wait_for_function(DASHBOARD_READY, timeout=TIMEOUT_MS)
    handle = page.locator(".widget-slider .noUi-handle").first
    times = []
    for i in range(steps):
        before = page.locator("#choices-cards").inner_text()
        handle.focus()
        t = time.perf_counter()
        handle.press("ArrowLeft" if i % 2 else "ArrowRight")
        page.wait_for_function(
            "before => { const e = document.querySelector('#choices-cards');"
            " return e && e.innerText !== before; }",
            arg=before,
            timeout=TIMEOUT_MS,
        )
        times.append(time.perf_counter() - t)
    context.close()
    return times


async def _viewers(url: str, n: int) -> tuple[int, float]:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)

        async def one() -> bool:
            context = await browser.new_context(viewport={"width": 1280, "height": 900})
            page = await context.new_page()
            try:
                await page.goto(url, timeout=TIMEOUT_MS)
                await page.wait_for_function(DASHBOARD_READY, timeout=TIMEOUT_MS)
                return True
            except Exception:  # a viewer that never renders is counted, not raised
                return False
            finally:
                await context.close()

        t = time.perf_counter()
        ok = await asyncio.gather(*[one() for _ in range(n)])
        elapsed = time.perf_counter() - t
        await browser.close()
    return sum(ok), elapsed


def _median(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, help="a run folder (default: run the workbook)")
    parser.add_argument("--viewers", type=int, default=20, help="concurrent viewers (d)")
    parser.add_argument("--trials", type=int, default=3, help="page loads per measurement (c)")
    parser.add_argument(
        "--sections", default="cde", help="which measurements: any of c, d, e (default: all)"
    )
    parser.add_argument(
        "--pool-wait",
        type=float,
        default=60.0,
        help="seconds to let a preheated kernel run the dashboard before a page load",
    )
    args = parser.parse_args(argv)

    from playwright.sync_api import sync_playwright

    tmp = Path(tempfile.mkdtemp(prefix="bench-dashboard-"))
    run = args.run or _make_run(tmp)
    print(_load())
    port = 18900

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        # (c) time to first render -------------------------------------------------------------
        results = {}
        first_render = (
            (
                ("floor: empty notebook, preheated", _empty_notebook(tmp), True, EMPTY_READY),
                ("floor: empty notebook, cold", _empty_notebook(tmp), False, EMPTY_READY),
                ("dashboard, preheated", None, True, DASHBOARD_READY),
                ("dashboard, cold", None, False, DASHBOARD_READY),
            )
            if "c" in args.sections
            else ()
        )
        for name, notebook, preheat, ready in first_render:
            port += 1
            with start_server(
                run, port=port, preheat=preheat, notebook=notebook, startup_timeout=300
            ) as server:
                # A preheated kernel is used only once it has run the notebook: give it time
                # (a busy machine runs the dashboard's cell in up to a minute).
                time.sleep(args.pool_wait if preheat else 2)
                pause = args.pool_wait if preheat else 1
                times = _first_render(browser, server.url, ready, args.trials, pause)
            results[name] = _median(times)
            print(f"(c) first render, {name:34s} {results[name]:6.2f} s  (median of {len(times)})")
        if "c" in args.sections:
            floor_pre = results["floor: empty notebook, preheated"]
            floor_cold = results["floor: empty notebook, cold"]
            print(
                f"(c) preheated dashboard / preheated floor = "
                f"{results['dashboard, preheated'] / floor_pre:.2f}x (target ≤ 1.5x, ≤ 2 s); "
                f"cold dashboard / cold floor = {results['dashboard, cold'] / floor_cold:.2f}x"
            )
            port += 1
            with start_server(run, port=port, preheat=True, startup_timeout=300) as server:
                time.sleep(args.pool_wait)
                changes = _widget_change(browser, server.url, steps=6)
            print(
                f"(c) widget change to updated cards: median {_median(changes) * 1000:.0f} ms, "
                f"max {max(changes) * 1000:.0f} ms (target < 300 ms)"
            )
        if "e" in args.sections:
            # (e) static export --------------------------------------------------------------------
            out = tmp / "sponsor.html"
            t = time.perf_counter()
            export_html(run, out)
            t_export = time.perf_counter() - t
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            context.route(
                "**/*",
                lambda r: r.continue_() if r.request.url.startswith("file://") else r.abort(),
            )
            opens = []
            for _ in range(args.trials):
                page = context.new_page()
                t = time.perf_counter()
                page.goto(out.as_uri(), timeout=TIMEOUT_MS)
                page.wait_for_function(DASHBOARD_READY, timeout=TIMEOUT_MS)
                opens.append(time.perf_counter() - t)
                page.close()
            context.close()
            size = out.stat().st_size
            print(
                f"(e) static export: {size / 1e6:.2f} MB ({size / 2**20:.2f} MiB; target < 5 MB), "
                f"written in {t_export:.2f} s, opens offline in {_median(opens):.2f} s (median)"
            )
        browser.close()

    if "d" in args.sections:
        # (d) concurrent viewers -----------------------------------------------------------------
        port += 1
        with start_server(
            run, port=port, preheat=True, cull_idle_timeout=20, cull_interval=5, startup_timeout=300
        ) as server:
            time.sleep(args.pool_wait)
            before = _rss_mb(server.process.pid)
            peak = [before]
            done = False

            async def sample() -> None:
                while not done:
                    peak.append(_rss_mb(server.process.pid))
                    await asyncio.sleep(0.5)

            async def both() -> tuple[int, float]:
                nonlocal done
                sampler = asyncio.create_task(sample())
                try:
                    return await _viewers(server.url, args.viewers)
                finally:
                    done = True
                    await sampler

            rendered, elapsed = asyncio.run(both())
            after_close = _rss_mb(server.process.pid)
            time.sleep(45)  # idle timeout 20 s, checked every 5 s
            culled = _rss_mb(server.process.pid)
            kernels = len(psutil.Process(server.process.pid).children(recursive=True))
        print(
            f"(d) {args.viewers} concurrent viewers: {rendered} rendered in {elapsed:.1f} s; Voilà "
            f"tree RSS {before:,.0f} MB before, {max(peak):,.0f} MB at peak, {after_close:,.0f} MB "
            f"when they left, {culled:,.0f} MB after culling ({kernels} kernel processes left)"
        )
    print(_load())


if __name__ == "__main__":
    main()
