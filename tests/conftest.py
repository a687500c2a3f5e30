"Shared by the browser checks: Debian's chromium driven by Playwright, and where screenshots go."
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT/'screenshots' # git-ignored: for a person to look at after a run
# Playwright's own browser download needs the internet, so we drive Debian's. Chromium's background traffic is
# refused on machines with no network; these flags keep it quiet.
CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
                 '--disable-component-update', '--disable-sync']


@pytest.fixture(scope='session')
def browser():
    "Headless Chromium, shared by the browser checks."
    from playwright.sync_api import sync_playwright
    SHOTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=shutil.which('chromium') or '/usr/bin/chromium', args=CHROMIUM_ARGS)
        yield b
        b.close()
