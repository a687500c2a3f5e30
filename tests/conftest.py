"Shared by the tests: the notebooks' modules, the docs builder, Debian's chromium driven by Playwright, and where screenshots go."
import importlib.util, json, shutil, subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT/'screenshots' # git-ignored: for a person to look at after a run

def exported_modules() -> dict[Path, str]:
    "Each notebook that exports a module (its `#| default_exp`), in chapter order, and the module's name."
    out = {}
    for nb in sorted((ROOT/'nbs').glob('[!_]*.ipynb')):
        for c in json.loads(nb.read_text())['cells']:
            src = ''.join(c['source'])
            if c['cell_type'] == 'code' and src.startswith('#| default_exp'): out[nb] = src.split()[2]
    return out


def can_unshare() -> bool:
    "Whether this process may make a private mount namespace: root, `unshare`, and a container that allows it."
    if not shutil.which('unshare'): return False
    try: return subprocess.run(['unshare', '-m', '--propagation', 'private', 'true'], capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.SubprocessError): return False


def load_build_docs():
    "scripts/build_docs.py as a module (it is a script, not part of the package)."
    spec = importlib.util.spec_from_file_location('build_docs', ROOT/'scripts'/'build_docs.py')
    module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module)
    return module

# Playwright's own browser download needs the internet, so we drive Debian's. Chromium's background traffic is
# refused on machines with no network; these flags keep it quiet.
CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
                 '--disable-component-update', '--disable-sync']


@pytest.fixture(scope='session')
def browser():
    "Headless Chromium, shared by the browser checks; they are skipped, with the reason, where there is none."
    chromium = shutil.which('chromium')
    if chromium is None: pytest.skip("needs a chromium on PATH (Debian: apt-get install chromium), which Playwright drives")
    from playwright.sync_api import sync_playwright
    SHOTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield b
        b.close()
