"""CelebA as people have it: the four layouts train to identical numbers, and `celeba_vae_data` describes each the same way.

Every process has a timeout; nothing here can hang CI.
"""
import csv, os, subprocess

import pytest
import torch

from celeba_vae.celeba import IMG_DIR
from celeba_vae.loaders import CelebA64
from celeba_vae.synth import LAYOUTS, make_synthetic_celeba

RUN = ['--epochs', '1', '--bs', '32', '--limit', '128', '--device', 'cpu', '--precision', 'fp32', '--seed', '0']


@pytest.fixture(scope='module')
def layouts(tmp_path_factory):
    "The same 300 synthetic faces in each of the four layouts."
    tmp = tmp_path_factory.mktemp('layouts')
    return {layout: make_synthetic_celeba(tmp/layout, n=300, seed=0, layout=layout) for layout in LAYOUTS}


def run(*args, cache, timeout=600):
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, 'CELEBA_VAE_CACHE': str(cache), 'OMP_NUM_THREADS': '2'})


def test_four_layouts_train_identically(layouts, tmp_path):
    "Each layout's cache holds the same pixels and attributes, and a short fp32 run's metrics.csv is the same to the last digit."
    metrics, first = {}, None
    for layout, root in layouts.items():
        ds = CelebA64(root, 'train', tmp_path/f'cache-{layout}')
        if first is None: first = ds
        assert torch.equal(ds[:], first[:]) and torch.equal(ds.attrs, first.attrs) and ds.names == first.names, layout
        r = run('celeba_vae_train', '--data', root, '--out', tmp_path/layout, *RUN, cache=tmp_path/'cache')
        assert r.returncode == 0, (layout, r.stderr[-2000:])
        rows = list(csv.DictReader(open(tmp_path/layout/'metrics.csv')))
        metrics[layout] = [{k: v for k, v in row.items() if k != 'images_per_s'} for row in rows]
    assert all(m == metrics['official'] for m in metrics.values()), metrics


def test_celeba_vae_data_counts_every_layout(layouts, tmp_path):
    said = {}
    for layout, root in layouts.items():
        r = run('celeba_vae_data', root, cache=tmp_path/'cache')
        assert r.returncode == 0, r.stderr
        lines = r.stdout.splitlines()
        assert {'official': 'the official layout', 'torchvision': "torchvision's", 'kaggle': "Kaggle's", 'zip': 'official zip'}[layout] in lines[0], lines[0]
        said[layout] = lines[1:3]
    assert said['official'][0] == 'images: 240 train · 30 valid · 30 test (300 in all)'
    assert said['official'][1].startswith('attributes: 40: 5_o_Clock_Shadow ')
    assert all(s == said['official'] for s in said.values()), said


@pytest.mark.parametrize('layout', ['kaggle', 'zip'])
def test_celeba_vae_data_check_finds_a_broken_image(layouts, tmp_path, layout):
    "A face replaced by a web page: `--check` names it, says how many are broken in one error line, exit 2."
    root = make_synthetic_celeba(tmp_path/layout, n=300, seed=0, layout=layout)
    page = b'<html>Google Drive - Quota exceeded</html>'
    if layout == 'zip':
        import zipfile
        with zipfile.ZipFile(root/'img_align_celeba.zip') as src, zipfile.ZipFile(tmp_path/'new.zip', 'w') as dst:
            for info in src.infolist(): dst.writestr(info, page if info.filename.endswith('000042.jpg') else src.read(info))
        os.replace(tmp_path/'new.zip', root/'img_align_celeba.zip')
        where = f"{root/'img_align_celeba.zip'}:{IMG_DIR}/000042.jpg"
    else:
        (root/IMG_DIR/IMG_DIR/'000042.jpg').write_bytes(page); where = str(root/IMG_DIR/IMG_DIR/'000042.jpg')
    r = run('celeba_vae_data', root, '--check', cache=tmp_path/'cache')
    assert r.returncode == 2, r.stderr
    assert [l for l in r.stdout.splitlines() if l.startswith('broken: ')] == [l for l in r.stdout.splitlines() if l.startswith(f'broken: {where}: cannot decode')] != [], r.stdout
    assert r.stderr.strip().splitlines() == [f"error: {root}: 1 of 300 images are broken (listed above)"], r.stderr
    assert 'Traceback' not in r.stdout + r.stderr
