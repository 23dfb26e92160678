"""The sponsor dashboard in a real browser: served by Voilà, and as the offline HTML export."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import psutil
import pytest
from _browser import (
    PAGE_TIMEOUT_MS,
    REPO,
    Served,
    clearlib_command,
    free_port,
    save_screenshot,
    wait_for_http,
)

from clearlib.dashboard import SponsorModel, cards

# a real project run, Voilà and Chromium: minutes, not seconds; one worker makes the run and
# serves it for every test here (``--dist loadgroup``), instead of each worker making its own
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("sponsor_dashboard")]

SCREENSHOTS = REPO / "templates" / "dashboard"
_PATIENT_ID = re.compile(r"SYN-P\d+")


def _committed(name: str) -> tuple[Path, ...]:
    """The README's screenshot, rewritten when missing or when CLEAR_UPDATE_SCREENSHOTS=1."""
    path = SCREENSHOTS / name
    update = os.environ.get("CLEAR_UPDATE_SCREENSHOTS", "") == "1"
    return (path,) if update or not path.exists() else ()


def _card_texts(page: Any, section: str) -> dict[str, str]:
    """Card key -> the value shown, for the cards of one section (headline or choices)."""
    cards_ = page.locator(f"#{section}-cards .clear-card")
    return {
        cards_.nth(i).get_attribute("data-key"): cards_.nth(i)
        .locator(".clear-card-value")
        .inner_text()
        .strip()
        for i in range(cards_.count())
    }


def _expected(values: dict[str, Any]) -> dict[str, str]:
    return {c.key: c.text for c in cards(values)}


def _wait_for_cards(page: Any, section: str, expected: dict[str, str]) -> dict[str, str]:
    """Wait until the section's cards show ``expected`` (the kernel recomputes on a change)."""
    script = """([section, expected]) => {
        const shown = {};
        document.querySelectorAll(`#${section}-cards .clear-card`).forEach(c => {
            shown[c.dataset.key] = c.querySelector('.clear-card-value').innerText.trim();
        });
        return Object.entries(expected).every(([k, v]) => shown[k] === v);
    }"""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    with contextlib.suppress(PlaywrightTimeout):  # the assertion then shows what was there
        page.wait_for_function(script, arg=[section, expected], timeout=PAGE_TIMEOUT_MS)
    return _card_texts(page, section)


def test_served_dashboard_renders_the_run(served_page: Any, served: Served) -> None:
    """The served page shows the run's headline cards exactly and draws its charts."""
    page = served_page
    summary = json.loads((served.run / "summary.json").read_text(encoding="utf-8"))
    assert _card_texts(page, "headline") == _expected(summary["headline"])
    assert page.locator(".clear-header").inner_text().startswith("Anticipatory care")
    assert page.locator(".js-plotly-plot").count() >= 6  # 4 of the run's, 2 of the choices
    heights = page.evaluate(
        "Array.from(document.querySelectorAll('.js-plotly-plot'), e => e.offsetHeight)"
    )
    assert min(heights) > 200, heights  # drawn, not collapsed
    footer = page.locator(".clear-footer").inner_text()
    assert summary["policy"]["name"] in footer
    save_screenshot(page, "served.png", *_committed("screenshot.png"))
    page.set_viewport_size({"width": 1280, "height": 900})


def test_no_code_traceback_or_patient_identifier_is_shown(served_page: Any) -> None:
    """The page holds no source code, no traceback and no patient identifier."""
    page = served_page
    text = page.locator("body").inner_text()
    html = page.content()
    for leak in ("Traceback", "sponsor_dashboard(", "import ", "Error:"):
        assert leak not in text, leak
    assert "from clearlib.dashboard import" not in html
    assert not _PATIENT_ID.search(text) and not _PATIENT_ID.search(html)
    assert page.locator(".jp-InputArea-editor, .jp-CodeMirrorEditor, .cm-editor").count() == 0


def test_moving_an_assumption_gives_sponsor_models_figures(
    served_page: Any, served: Served
) -> None:
    """A slider moved one step, and another scenario, show exactly SponsorModel.compute's cards."""
    page = served_page
    model = SponsorModel.from_run(served.run)
    controls = list(model.controls)
    values = {c["name"]: c["value"] for c in controls}
    scenario = model.scenario_names[0]
    assert _wait_for_cards(page, "choices", _expected(model.compute(scenario, **values))) == (
        _expected(model.compute(scenario, **values))
    )

    first = controls[0]
    handle = page.locator(f".clear-control-{first['name']} .noUi-handle")
    handle.focus()
    handle.press("ArrowRight")
    values[first["name"]] = min(first["max"], first["value"] + first["step"])
    expected = _expected(model.compute(scenario, **values))
    assert _wait_for_cards(page, "choices", expected) == expected

    if len(model.scenario_names) > 1:
        other = model.scenario_names[1]
        page.locator(".clear-control-scenario select").select_option(other)
        expected = _expected(model.compute(other, **values))
        assert _wait_for_cards(page, "choices", expected) == expected
    save_screenshot(page, "served-after-change.png")


@pytest.mark.parametrize(
    "path",
    [
        "voila/files/sponsor.ipynb",
        "sponsor.ipynb",
        "voila/render/sponsor.ipynb",
        "voila/tree",
        "voila/tree/run",
        "api/contents",
        "api/contents/sponsor.ipynb",
        "voila/files/run/summary.json",
        "voila/files/run/aggregates/team.csv",
        "notebook.ipynb",
        "voila/files/../notebook.ipynb",
        "voila/files/%2e%2e/notebook.ipynb",
    ],
)
def test_voila_refuses_files_and_notebooks(served: Served, path: str) -> None:
    """Files, notebooks and listings through Voilà are refused (403 or 404)."""
    try:
        with urllib.request.urlopen(served.url + path, timeout=30) as response:
            status, body = response.status, response.read(4000).decode(errors="replace")
    except urllib.error.HTTPError as exc:
        status, body = exc.code, ""
    assert status in (403, 404), f"{path}: {status} {body[:200]}"


def test_a_run_that_fails_the_gate_is_not_served(sponsor_run: Path, tmp_path: Path) -> None:
    """clearlib dashboard serve exits 1 on a run with a small count, and nothing listens."""
    broken = tmp_path / "broken-run"
    shutil.copytree(sponsor_run, broken)
    (broken / "aggregates" / "leak.csv").write_text(
        "practice_code,patients\nSYN-G001,40\nSYN-G002,2\n", encoding="utf-8"
    )
    port = free_port()
    result = subprocess.run(
        clearlib_command("dashboard", "serve", str(broken), "--port", str(port), "--no-browser"),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1
    assert "DataError" in result.stderr
    assert "aggregates/leak.csv, column patients (rows 2)" in result.stderr
    with pytest.raises((urllib.error.URLError, OSError)):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5)


def test_ctrl_c_stops_the_server_and_its_kernels(sponsor_run: Path) -> None:
    """Ctrl-C (SIGINT) on clearlib dashboard serve stops Voilà and every kernel it started."""
    port = free_port()
    process = subprocess.Popen(
        clearlib_command(
            "dashboard", "serve", str(sponsor_run), "--port", str(port), "--no-browser"
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_for_http(f"http://127.0.0.1:{port}/voila/static/", process)
        deadline = time.monotonic() + 120  # the preheated kernel starts in the background
        kernels: list[psutil.Process] = []
        while not kernels and time.monotonic() < deadline:
            kernels = [
                p
                for p in psutil.Process(process.pid).children(recursive=True)
                if "ipykernel" in " ".join(p.cmdline())
            ]
            time.sleep(0.5)
        assert kernels, "no kernel was started"
        process.send_signal(signal.SIGINT)
        process.wait(timeout=120)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    output = process.stdout.read().decode(errors="replace") if process.stdout else ""
    assert process.returncode == 0, output
    assert f"http://127.0.0.1:{port}/" in output
    with pytest.raises(ProcessLookupError):  # nothing of its process group is left
        os.killpg(process.pid, 0)
    assert not [k.pid for k in kernels if k.is_running() and k.status() != psutil.STATUS_ZOMBIE]


def test_static_export_opens_offline_with_the_same_figures(
    browser: Any, served: Served, served_page: Any, exported: Path
) -> None:
    """The export opens from file:// with the network blocked and shows the served headline."""
    out = exported
    served_headline = _card_texts(served_page, "headline")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    refused: list[str] = []

    def only_files(route: Any) -> None:
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    context.route("**/*", only_files)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(out.as_uri())
        page.wait_for_function("document.querySelectorAll('.js-plotly-plot').length >= 4")
        assert errors == [] and refused == []
        summary = json.loads((served.run / "summary.json").read_text(encoding="utf-8"))
        assert _card_texts(page, "headline") == _expected(summary["headline"]) == served_headline
        assert "Figures precomputed for these choices" in page.locator("body").inner_text()

        model = SponsorModel.from_run(served.run)
        scenario = model.scenario_names[0]
        values = {c["name"]: c["value"] for c in model.controls}
        assert _card_texts(page, "choices") == _expected(model.compute(scenario, **values))
        grid = json.loads(page.locator("#clear-grid").inner_text())
        first = grid["controls"][0]
        index = len(first["values"]) - 1  # the largest value offered
        page.locator(f"#clear-control-{first['name']}").evaluate(
            f"e => {{ e.value = {index}; e.dispatchEvent(new Event('input')); }}"
        )
        values[first["name"]] = first["values"][index]
        assert _card_texts(page, "choices") == _expected(model.compute(scenario, **values))
        save_screenshot(page, "static.png", *_committed("screenshot-static.png"))
    finally:
        context.close()
    assert out.stat().st_size < 5_000_000
