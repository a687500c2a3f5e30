"""`celeba_vae_train --tensorboard`: the event files, read back with TensorBoard's own reader, say what metrics.csv says."""
import csv, json, subprocess

import numpy as np
import pytest

from celeba_vae.synth import make_synthetic_celeba

EventAccumulator = pytest.importorskip('tensorboard.backend.event_processing.event_accumulator').EventAccumulator


def test_tensorboard_events_match_metrics(tmp_path):
    data = make_synthetic_celeba(tmp_path/'synth', n=300, seed=0)
    r = subprocess.run(['celeba_vae_train', '--data', str(data), '--out', str(tmp_path/'run'), '--epochs', '2', '--bs', '32', '--limit', '128',
                        '--device', 'cpu', '--precision', 'fp32', '--log_every', '1', '--tensorboard', '--cache_dir', str(tmp_path/'cache')],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    rows = list(csv.DictReader(open(tmp_path/'run'/'metrics.csv')))
    ea = EventAccumulator(str(tmp_path/'run'/'tensorboard'), size_guidance={'scalars': 0, 'images': 0, 'tensors': 0}); ea.Reload()
    scalars = lambda tag: [(e.step, e.value) for e in ea.Scalars(tag)]
    ends = [int(row['step']) for row in rows]
    for name in ('loss', 'recon', 'kld', 'active_units'):   # each epoch's validation, at the epoch's last step
        assert scalars(f'valid/{name}') == [(step, np.float32(row[f'valid_{name}'])) for step, row in zip(ends, rows)], name
    for name in ('loss', 'recon', 'kld'):   # every step (log_every 1): each epoch's steps average to its training mean
        steps = scalars(f'train/{name}')
        assert [s for s, _ in steps] == list(range(1, ends[-1] + 1)), steps
        for start, end, row in zip([0, *ends], ends, rows):
            epoch = [v for s, v in steps if start < s <= end]
            assert np.isclose(np.mean(epoch), float(row[f'train_{name}']), rtol=1e-5), (name, row)
    assert [(i.step, i.width, i.height) for i in ea.Images('samples')] == [(step, 530, 530) for step in ends]   # 8×8 faces of 64 + padding
    config = ea.Tensors('config/text_summary')[0].tensor_proto.string_val[0].decode()
    assert json.loads(config.strip('`\n'))['tensorboard'] is True
