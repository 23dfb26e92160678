"""Shared fixtures: a tiny population spec, and the default PCN generated once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

#: Two PCNs, three practices, 750 listed patients: small enough to generate in seconds, big
#: enough to exercise every table, the split by practice and parallel generation.
TINY_SPEC = """\
schema_version = 1
extends = "population"
name = "tiny"
description = "Two tiny PCNs of three practices, for tests."
seed = 7

[[pcns]]
code = "SYN-PCN01"
name = "Tiny One PCN"
assumption = "invented for tests"

[[pcns.practices]]
code = "SYN-G001"
name = "First Surgery"
list_size = 300
imd_decile = 3
rurality = "urban"
clinical_system = "EMIS Web"
care_home_beds = 10
share_65_plus = 0.2

[[pcns.practices]]
code = "SYN-G002"
name = "Second Surgery"
list_size = 200
imd_decile = 8
rurality = "rural"
clinical_system = "SystmOne"
care_home_beds = 0
share_65_plus = 0.25

[[pcns]]
code = "SYN-PCN02"
name = "Tiny Two PCN"
assumption = "invented for tests"

[[pcns.practices]]
code = "SYN-G003"
name = "Third Surgery"
list_size = 250
imd_decile = 5
rurality = "town"
clinical_system = "Vision"
care_home_beds = 0
share_65_plus = 0.15
"""


#: Not collected: each cheat of the corpus is code a learner would hand in, and runs when its
#: file is imported (``--doctest-modules`` imports every module it finds). They are graded, in
#: the sandbox, by tests/course/test_cheats.py and benchmarks/bench_grading.py --cheats.
collect_ignore_glob = ["course/cheats/*.py"]


@pytest.fixture(scope="session")
def tiny_spec_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The path of ``tiny.toml``: 2 PCNs, practices SYN-G001/G002 and SYN-G003."""
    path = tmp_path_factory.mktemp("specs") / "tiny.toml"
    path.write_text(TINY_SPEC, encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def one_pcn_spec(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``tiny1.toml``: the tiny spec's first PCN only (SYN-G001, SYN-G002), made in-process."""
    first = TINY_SPEC[: TINY_SPEC.rindex("[[pcns]]")].replace('name = "tiny"', 'name = "tiny1"')
    path = tmp_path_factory.mktemp("specs") / "tiny1.toml"
    path.write_text(first, encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def default_pcn():
    """The default synthetic PCN (made at session start, see ``pytest_sessionstart``; cached)."""
    import clearlib

    return clearlib.load_pcn("default")


#: Debian's Chromium, driven by Playwright (never `playwright install`).
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def chromium():
    """Headless Chromium, one per test process, or a failure saying how to install it.

    Every browser test shares it: Playwright's sync API runs one instance per thread, so a
    second ``sync_playwright()`` while this one lives would fail.
    """
    if not CHROMIUM.exists():
        pytest.fail(
            f"Chromium is missing at {CHROMIUM}: the browser tests need it. `make test` installs "
            "it when run as root (apt-get install chromium)."
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


def pytest_sessionstart(session: pytest.Session) -> None:
    """Make the default PCN once, before any test or xdist worker starts, if it is not current.

    The workers then only read it, so the tests that use it can run on any worker (they were
    once kept on one worker so that only one of them generated it, which left that worker with
    a third of the suite). Only the small practices table is read here.
    """
    config = session.config
    if hasattr(config, "workerinput") or config.option.collectonly:
        return  # an xdist worker (the controller made it), or nothing will run
    import clearlib

    clearlib.load_pcn("default", tables=("practices",))
