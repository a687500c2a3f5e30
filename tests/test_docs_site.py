"""Browser check of the offline docs site, read as a person reads it: build it (`scripts/build_docs.py --quick`),
serve it on localhost, and load every page in headless Chromium. From the rendered text: no cell directive, raw
attribute text or stray Markdown is visible; every function and class a chapter exports has its heading; the sidebar's
links lead to pages; a search finds the right page. No console errors, failed requests, broken links or images;
pages light. The galleries are there, and a slider dragged on the browser-sliders page changes the face.

Screenshots go to screenshots/ (git-ignored).
"""
import functools, http.server, importlib, inspect, shutil, subprocess, sys, threading
from urllib.parse import urljoin, urlparse

import pytest

from conftest import ROOT, SHOTS, exported_modules, load_build_docs

pytestmark = pytest.mark.skipif(not shutil.which('pandoc'), reason='pandoc is not installed (Debian: apt-get install pandoc), which renders the site')


@pytest.fixture(scope='module')
def site(tmp_path_factory):
    "The site built into a temporary folder and served on localhost: its base URL."
    out = tmp_path_factory.mktemp('site')/'_docs'
    r = subprocess.run([sys.executable, str(ROOT/'scripts'/'build_docs.py'), '--quick', '--out', str(out)],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(out))
    handler.func.extensions_map = {**handler.func.extensions_map, '.wasm': 'application/wasm', '.js': 'text/javascript'}
    handler.func.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", out
    server.shutdown()


def open_page(browser, url):
    "Load `url`; return the page and the console errors, page errors and failed requests it produced."
    page = browser.new_page(viewport={'width': 1300, 'height': 900})
    problems = []
    page.on('console', lambda m: problems.append(f"console: {m.text}") if m.type == 'error' else None)
    page.on('pageerror', lambda e: problems.append(f"page error: {e}"))
    page.on('requestfailed', lambda r: problems.append(f"failed request: {r.url}"))
    page.on('response', lambda r: problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
    page.goto(url, wait_until='load')
    return page, problems


def page_modules() -> dict[str, str]:
    "Page name → the module its notebook exports (pages named as the builder names them)."
    page_name = load_build_docs().page_name
    return {page_name(nb): module for nb, module in exported_modules().items()}


def test_every_page_loads_cleanly(site, browser):
    base, out = site
    pages = sorted(p.name for p in out.glob('*.html'))
    assert {'index.html', 'celeba.html', 'model.html', 'galleries.html', 'sliders.html', 'browser_sliders.html'} <= set(pages), pages
    for name in pages:
        page, problems = open_page(browser, base + name)
        if name == 'browser_sliders.html': page.wait_for_selector('body[data-ready="1"]', timeout=60_000)
        # every local link leads to a page that exists
        for href in page.eval_on_selector_all('a[href]', 'els => els.map(e => e.getAttribute("href"))'):
            target = urlparse(urljoin(base + name, href))
            if target.netloc == urlparse(base).netloc and target.path.endswith('.html'):
                assert (out/target.path.lstrip('/')).exists(), f"{name}: broken link {href}"
        # every image has loaded
        broken = page.eval_on_selector_all('img', 'els => els.filter(e => !e.complete || e.naturalWidth === 0).length')
        assert broken == 0, f"{name}: {broken} images did not load"
        assert not problems, f"{name}: {problems}"
        assert (out/name).stat().st_size < 1_000_000, f"{name}: {(out/name).stat().st_size:,} bytes"
        if name in ('index.html', 'galleries.html', 'train.html', 'bench.html'): page.screenshot(path=str(SHOTS/f"docs_{name[:-5]}.png"), full_page=name == 'index.html')
        page.close()


def test_pages_show_no_source_markup(site, browser):
    "What a reader sees: prose, signatures and pictures; no directive, attribute text, stray Markdown or placeholder docstring."
    base, out = site
    for name in sorted(p.name for p in out.glob('*.html')):
        page, _ = open_page(browser, base + name)
        text = page.inner_text('main')   # everything shown, code included
        prose = page.evaluate("() => { const m = document.querySelector('main').cloneNode(true); m.querySelectorAll('pre, code').forEach(e => e.remove()); return m.innerText; }")
        for shown, raws in ((text, ('#|', '{target=', 'style="float', 'Call self as a function')), (prose, ('**', '](', ':::', '{.', '`'))):
            for raw in raws:
                assert raw not in shown, f"{name} shows {raw!r}: ...{shown[max(0, shown.index(raw) - 80):shown.index(raw) + 80]}..."
        page.close()


def test_every_export_has_a_heading(site, browser):
    base, _ = site
    for name, module in page_modules().items():
        mod = importlib.import_module(f'celeba_vae.{module}')
        exported = [n for n in mod.__all__ if inspect.isfunction(getattr(mod, n)) or inspect.isclass(getattr(mod, n))]
        page, _ = open_page(browser, base + name)
        headings = set(page.eval_on_selector_all('main h2, main h3, main h4', 'els => els.map(e => e.innerText.trim())'))
        missing = [n for n in exported if n not in headings]
        assert not missing, f"{name}: no heading for {missing}"
        page.close()


def test_sidebar_and_search(site, browser):
    base, out = site
    page, problems = open_page(browser, base + 'train.html')
    links = page.eval_on_selector_all('.sidebar .chapters > li > a', 'els => els.map(e => e.getAttribute("href"))')
    assert len(links) == len(list(out.glob('*.html'))), links   # every page, once
    assert all((out/l).exists() for l in links), links
    sections = page.eval_on_selector_all('.sidebar li.current .toc a', 'els => els.map(e => e.getAttribute("href"))')
    assert '#the-trainer' in sections, sections   # the current chapter's sections
    assert page.locator('.pager a.next').get_attribute('href') == 'galleries.html'
    assert page.locator('.pager a.prev').get_attribute('href') == 'callbacks.html'
    page.fill('#search', 'vae_loss')
    page.wait_for_selector('#search-results a', timeout=10_000)
    first = page.locator('#search-results a').first.get_attribute('href')
    assert first.startswith('loss.html'), first
    page.screenshot(path=str(SHOTS/'docs_search.png'))
    assert not problems, problems
    page.close()


def test_site_is_light(site):
    _, out = site
    total = sum(f.stat().st_size for f in out.rglob('*') if f.is_file() and 'vendor' not in f.parts and f.name != 'decoder.onnx')
    assert total < 10_000_000, f"{total:,} bytes"
    assert not any('base64,' in f.read_text() for f in out.glob('*.html') if f.name != 'browser_sliders.html')   # images are files


def test_galleries_are_on_the_galleries_page(site, browser):
    base, _ = site
    page, _ = open_page(browser, base + 'galleries.html')
    text = page.inner_text('body')
    for heading in ['Samples', 'Reconstructions', 'Interpolation', 'Traversals', 'Attribute vectors']: assert heading in text, heading
    images = page.eval_on_selector_all('img', 'els => els.filter(e => e.naturalWidth >= 300).length')
    assert images >= 6, images   # samples ×2, reconstructions, interpolation, traversal, attributes
    page.close()


def canvas_pixels(page): return page.evaluate("() => document.getElementById('face').toDataURL()")


def test_sliders_redraw_the_face_in_the_page(site, browser):
    base, _ = site
    page, problems = open_page(browser, base + 'browser_sliders.html')
    page.wait_for_selector('body[data-ready="1"]', timeout=60_000)
    before, draws = canvas_pixels(page), int(page.get_attribute('body', 'data-draws'))
    page.screenshot(path=str(SHOTS/'docs_sliders_before.png'))
    slider = page.locator('input[type=range]').first
    box = slider.bounding_box()
    page.mouse.move(box['x'] + box['width'] / 2, box['y'] + box['height'] / 2)
    page.mouse.down()
    page.mouse.move(box['x'] + box['width'] - 1, box['y'] + box['height'] / 2, steps=10)   # drag to the right end
    page.mouse.up()
    page.wait_for_function(f"+document.body.dataset.draws > {draws}", timeout=20_000)
    page.wait_for_timeout(300)
    after = canvas_pixels(page)
    page.screenshot(path=str(SHOTS/'docs_sliders_after.png'))
    assert slider.input_value() == '3', slider.input_value()
    assert after != before, "the canvas did not change after dragging the slider"
    assert not problems, problems
    page.close()
