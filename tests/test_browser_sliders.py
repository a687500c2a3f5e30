"""Browser check of the latent sliders: JupyterLab on localhost, the sliders notebook run in headless
Chromium (on a short run trained here), one slider dragged, and the face on screen must change.

Needs Debian's chromium (`.ci/run` installs it) and the `playwright` package; screenshots go to screenshots/.
"""
import os, secrets, shutil, socket, subprocess, sys, time
from io import BytesIO

import numpy as np
import pytest
from PIL import Image

from conftest import ROOT, SHOTS


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0)); return s.getsockname()[1]


@pytest.fixture(scope='module')
def trained_run(tmp_path_factory):
    "A run that has learned enough for its latents to matter (a few hundred steps; the notebook's own tiny model has not)."
    d = tmp_path_factory.mktemp('run')
    env = {**os.environ, 'CELEBA_VAE_CACHE': str(d/'cache')}
    for cmd in (['celeba_vae_synth', str(d/'synth'), '--n', '3000'],
                ['celeba_vae_train', '--data', str(d/'synth'), '--out', str(d/'run'), '--epochs', '2', '--bs', '16',
                 '--limit', '2400', '--device', 'cpu']):
        r = subprocess.run(cmd, capture_output=True, text=True, env=env)
        assert r.returncode == 0, r.stderr[-2000:]
    return d/'run'


@pytest.fixture
def lab(tmp_path, trained_run):
    "JupyterLab serving a copy of the sliders notebook on localhost: (url, process)."
    shutil.copy(ROOT/'nbs'/'10_sliders.ipynb', tmp_path/'10_sliders.ipynb')
    port, token = free_port(), secrets.token_hex(16)
    env = {**os.environ, 'CELEBA_VAE_CACHE': str(tmp_path/'cache'), 'JUPYTER_CONFIG_DIR': str(tmp_path/'jupyter-config')}
    env['CELEBA_VAE_RUN'] = str(trained_run) # the notebook loads this run instead of training its tiny model
    log = open(tmp_path/'lab.log', 'w')
    p = subprocess.Popen([sys.executable, '-m', 'jupyterlab', '--no-browser', '--allow-root', '--ip=127.0.0.1', f'--port={port}',
                          f'--IdentityProvider.token={token}', f'--ServerApp.root_dir={tmp_path}',
                          '--LabApp.expose_app_in_browser=True', '--ServerApp.disable_check_xsrf=True'],
                         stdout=log, stderr=subprocess.STDOUT, env=env, cwd=tmp_path)
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            with socket.create_connection(('127.0.0.1', port), timeout=1): break
        except OSError: time.sleep(0.5)
    else: pytest.fail(f"JupyterLab did not start: {(tmp_path/'lab.log').read_text()[-2000:]}")
    yield f"http://127.0.0.1:{port}/lab/tree/10_sliders.ipynb?token={token}", p
    p.terminate()
    try: p.wait(20)
    except subprocess.TimeoutExpired: p.kill()


def pixels(png:bytes) -> np.ndarray: return np.asarray(Image.open(BytesIO(png)).convert('RGB'), dtype=np.float32)


def test_slider_redraws_face_in_browser(lab, browser):
    url, _ = lab
    page = browser.new_page(viewport={'width': 1400, 'height': 1000})
    errors = []
    page.on('pageerror', lambda e: errors.append(str(e)))
    page.goto(url)
    page.wait_for_function("window.jupyterapp && window.jupyterapp.shell.currentWidget"
                           " && window.jupyterapp.shell.currentWidget.sessionContext"
                           " && window.jupyterapp.shell.currentWidget.sessionContext.session", timeout=120_000)
    page.wait_for_function("window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.status === 'idle'", timeout=120_000)
    page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
    # the last cell displays the panel of the trained model: an image beside sliders
    panel = page.locator('.jp-OutputArea-output .widget-hbox').last
    panel.wait_for(state='visible', timeout=420_000)
    face, slider = panel.locator('img').first, panel.locator('.widget-slider').first
    face.scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    before = face.screenshot(path=str(SHOTS/'face_before.png'))
    page.screenshot(path=str(SHOTS/'sliders_before.png'))
    handle = slider.locator('.noUi-handle')
    box = handle.bounding_box()
    track = slider.locator('.noUi-base, .noUi-connects').first.bounding_box()
    page.mouse.move(box['x'] + box['width'] / 2, box['y'] + box['height'] / 2)
    page.mouse.down()
    page.mouse.move(track['x'] + track['width'] - 2, box['y'] + box['height'] / 2, steps=12)   # drag to the right end
    page.mouse.up()
    changed, diff = False, 0.0
    for _ in range(40):   # the kernel decodes and sends the new picture
        page.wait_for_timeout(250)
        after = face.screenshot()
        diff = float(np.abs(pixels(after) - pixels(before)).mean())
        if diff > 1.0: changed = True; break
    face.screenshot(path=str(SHOTS/'face_after.png'))
    page.screenshot(path=str(SHOTS/'sliders_after.png'))
    value = slider.locator('.widget-readout').inner_text()
    page.close()
    assert changed, f"the face did not change after dragging the slider to {value} (mean pixel difference {diff:.2f})"
    assert not errors, errors
