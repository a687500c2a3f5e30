"""The reliability suite: crashes, hostile checkpoints and broken data, each on small data.

Every test here is a row of the Reliability page (nbs/12_reliability.ipynb), which names its exact test id;
`test_every_row_has_a_test` keeps the two in step, one row per collected test. Run with `pytest tests`.
"""
import builtins, io, json, os, pickle, re, shutil, signal, subprocess, sys, time, zipfile
from functools import partial

import numpy as np
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from celeba_vae.celeba import ATTR_FILE, IMG_DIR, IMG_ZIP, PARTITION_FILE, load_face
from celeba_vae.checkpoint import load_checkpoint
from celeba_vae.cli import celeba_vae_train
from celeba_vae.core import FolderInUse, FolderLock
from celeba_vae.loaders import CelebA64
from celeba_vae.synth import make_synthetic_celeba
from celeba_vae.callbacks import TrainingDiverged
from celeba_vae.train import TrainConfig, train

TINY = ['--epochs', '2', '--bs', '32', '--limit', '192', '--device', 'cpu', '--seed', '0']


@pytest.fixture(scope='session')
def synth(tmp_path_factory):
    "A 300-face synthetic CelebA, shared by the tests (read-only: tests copy it before breaking it)."
    return make_synthetic_celeba(tmp_path_factory.mktemp('data')/'synth', n=300, seed=0)


@pytest.fixture
def env(tmp_path):
    "Environment for the commands: a cache folder of this test's own."
    return {**os.environ, 'CELEBA_VAE_CACHE': str(tmp_path/'cache'), 'OMP_NUM_THREADS': '2'}


def cli(*args, env=None, timeout=600):
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, env=env, timeout=timeout)


def one_line_error(r, *needles):
    "The command failed with status 2 and said so in one line on stderr, naming `needles`, with no traceback."
    assert r.returncode == 2, (r.returncode, r.stderr[-2000:])
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith('error: '), r.stderr[-2000:]
    assert 'Traceback' not in r.stdout + r.stderr
    for n in needles: assert str(n) in lines[0], (n, lines[0])
    return lines[0]


def same_weights(a, b):
    wa, wb = load_file(str(Path(a)/'model.safetensors')), load_file(str(Path(b)/'model.safetensors'))
    return wa.keys() == wb.keys() and all(torch.equal(wa[k], wb[k]) for k in wa)


# 1. kill -9 in each phase of a run (a step, validation, a checkpoint write), then --resume: exact

# The run under test is the real command. This wrapper holds it still in one phase so that the test's kill lands there,
# every time: once the first checkpoint is on disk, the first time the run enters `target` it writes `paused` and sleeps.
# It wraps the training chapter's own functions (the loop looks them up at call time): `vae_loss`, between a training
# step's forward and backward passes; `valid_metrics`, validation; `os.replace` of a checkpoint's temporary file, whose bytes are
# written and fsynced but not yet renamed into place. Sleeping changes no number the run computes.
PAUSE = """import os, sys, time, pathlib, torch
import celeba_vae.train as T
target, paused = sys.argv[1], pathlib.Path(sys.argv[2])
sys.argv[1:] = sys.argv[3:]
ckpt = pathlib.Path(sys.argv[sys.argv.index('--out') + 1], 'checkpoint.pt')
def pause_in(name, f, when=lambda *a: True):
    def g(*a, **k):
        if name == target and when(*a) and ckpt.exists() and not paused.exists(): paused.write_text(name); time.sleep(300)
        return f(*a, **k)
    return g
T.vae_loss = pause_in('step', T.vae_loss, lambda *a: torch.is_grad_enabled()) # not validation's calls
T.valid_metrics = pause_in('validation', T.valid_metrics)
os.replace = pause_in('write', os.replace, lambda src, dst: pathlib.Path(dst) == ckpt)
from celeba_vae.cli import celeba_vae_train
celeba_vae_train()
"""

def kill_in(target, synth, out, env, deadline_s=120):
    "Start a run, kill -9 it while it is held in `target` ('step', 'validation' or 'write')."
    paused, script = out.parent/f'{out.name}.paused', out.parent/'pause.py'
    script.write_text(PAUSE) # a file, not `python -c`: fastcore's call_parse reads the command line only in a script
    p = subprocess.Popen([sys.executable, str(script), target, str(paused), '--data', str(synth), '--out', str(out), *TINY, '--ckpt_every', '1'],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.time() + deadline_s
    while p.poll() is None and time.time() < deadline and not paused.exists(): time.sleep(0.05)
    if not paused.exists(): p.kill(); pytest.fail(f"the run never paused in {target}: {p.communicate(timeout=60)[1][-2000:]}")
    if target == 'write': assert list(out.glob('checkpoint.pt.*.tmp')) # the new checkpoint's bytes are there, not yet renamed
    p.send_signal(signal.SIGKILL)
    assert p.wait(timeout=60) == -9   # the kill hit a live process...
    assert not (out/'model.safetensors').exists()   # ...before training ended


@pytest.mark.parametrize('phase', ['step', 'validation', 'write'])
def test_kill9_then_resume_is_exact(synth, tmp_path, env, phase):
    ref = tmp_path/'ref'
    assert cli('celeba_vae_train', '--data', synth, '--out', ref, *TINY, env=env).returncode == 0
    out = tmp_path/'killed'
    kill_in(phase, synth, out, env)
    ck = load_checkpoint(out/'checkpoint.pt')          # always loads
    r = cli('celeba_vae_train', '--resume', '--out', out, env=env)
    assert r.returncode == 0, r.stderr[-2000:]
    assert same_weights(out, ref), (f"a kill during {phase} (resumed from step {ck['step']}) changed the result",
                                    (ref/'metrics.csv').read_text(), (out/'metrics.csv').read_text())   # where they part, if they do


def processes_using(path) -> list[int]:
    "Processes whose command line names `path`."
    found = []
    for d in Path('/proc').glob('[0-9]*'):
        try: cmd = (d/'cmdline').read_bytes().decode(errors='replace'); state = (d/'stat').read_text().split()[2]
        except OSError: continue
        if str(path) in cmd and state != 'Z': found.append(int(d.name))
    return found


def test_kill9_while_drawing_leaves_no_process(tmp_path, env):
    "Killed while its pool draws the default synthetic set, a run leaves no worker behind holding its folder."
    run = tmp_path/'run'
    p = subprocess.Popen(['celeba_vae_train', '--out', str(run), '--epochs', '1'], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    drawing = lambda: list(Path(env['CELEBA_VAE_CACHE']).glob('.synthetic-celeba-*/img_align_celeba/*.jpg'))
    deadline = time.time() + 120
    while p.poll() is None and time.time() < deadline and len(drawing()) < 20: time.sleep(0.05)
    assert p.poll() is None and drawing(), "the run never got to drawing faces"
    p.send_signal(signal.SIGKILL)
    assert p.wait(timeout=60) == -9
    def free():
        try: FolderLock(run).acquire().release(); return True
        except FolderInUse: return False
    deadline = time.time() + 10   # processes killed with their parent take a moment to let go of their files
    while (processes_using(run) or not free()) and time.time() < deadline: time.sleep(0.1)
    assert not processes_using(run), f"left running: {processes_using(run)}"
    assert free()   # nothing holds the run folder


# 2. hostile checkpoints and damaged weights

class Marker:
    "Unpickling this runs `touch` on a marker file."
    def __init__(self, path): self.path = path
    def __reduce__(self): return (os.system, (f"touch {self.path}",))


def hostile_run(tmp_path, synth):
    run = tmp_path/'run'
    run.mkdir()
    (run/'config.json').write_text(json.dumps({'data': str(synth), 'out': str(run), 'epochs': 2, 'bs': 32, 'limit': 64}))
    return run


def test_hostile_checkpoint_refused_by_resume(synth, tmp_path, env):
    run, marker = hostile_run(tmp_path, synth), tmp_path/'pwned'
    (run/'checkpoint.pt').write_bytes(pickle.dumps({'model': Marker(marker)}))
    one_line_error(cli('celeba_vae_train', '--resume', '--out', run, env=env), 'checkpoint.pt', 'refused')
    assert not marker.exists()


def test_hostile_weights_refused_by_sample(synth, tmp_path, env):
    run, marker = hostile_run(tmp_path, synth), tmp_path/'pwned'
    (run/'model.safetensors').write_bytes(pickle.dumps(Marker(marker)))
    one_line_error(cli('celeba_vae_sample', '--run', run, env=env), 'model.safetensors')
    assert not marker.exists()


DAMAGE = {'truncated': lambda d: d[:len(d) // 3], 'garbled header': lambda d: d[:8] + b'\xff' * 200 + d[208:],
          'one byte of tensor data': lambda d: d[:-1000] + bytes([d[-1000] ^ 0x10]) + d[-999:]}

@pytest.mark.parametrize('damage', list(DAMAGE))
def test_damaged_weights_clear_error(synth, tmp_path, env, damage):
    run = tmp_path/'run'
    assert cli('celeba_vae_train', '--data', synth, '--out', run, '--epochs', '1', '--bs', '32', '--limit', '64', env=env).returncode == 0
    (run/'model.safetensors').write_bytes(DAMAGE[damage]((run/'model.safetensors').read_bytes()))
    needle = 'damaged' if damage == 'one byte of tensor data' else 'cannot load weights'
    one_line_error(cli('celeba_vae_sample', '--run', run, env=env), 'model.safetensors', needle)


# 3. broken data: one line naming the file (and line), status 2, no partial cache

def write_attr_row(root, name, n_values):
    lines = (root/ATTR_FILE).read_text().splitlines(keepends=True)
    i = next(i for i, l in enumerate(lines) if l.startswith(name))
    lines[i] = name + ' ' + ' '.join(['-1'] * n_values) + '\n'
    (root/ATTR_FILE).write_text(''.join(lines))
    return i + 1

BROKEN = {
    'missing image': lambda d: ((d/IMG_DIR/'000005.jpg').unlink(), ['000005.jpg', 'missing'])[1],
    'truncated jpeg': lambda d: ((d/IMG_DIR/'000005.jpg').write_bytes((d/IMG_DIR/'000005.jpg').read_bytes()[:700]), ['000005.jpg', 'cannot decode'])[1],
    'not a jpeg': lambda d: ((d/IMG_DIR/'000005.jpg').write_bytes(b'<html>quota exceeded</html>'), ['000005.jpg'])[1],
    'wrong size': lambda d: (__import__('PIL.Image').Image.new('RGB', (64, 64)).save(d/IMG_DIR/'000005.jpg'), ['000005.jpg', '64×64'])[1],
    'bad partition line': lambda d: ((d/PARTITION_FILE).write_text((d/PARTITION_FILE).read_text().replace('000003.jpg 0', '000003.jpg train')), [f'{PARTITION_FILE}:3'])[1],
    'attribute row count': lambda d: [f'{ATTR_FILE}:{write_attr_row(d, "000004.jpg", 39)}', 'got 39 values'],
    'empty folder': lambda d: (shutil.rmtree(d), d.mkdir(), [str(d), 'no img_align_celeba'])[2],
}

@pytest.mark.parametrize('fault', list(BROKEN))
def test_broken_data_one_clear_error(synth, tmp_path, env, fault):
    data = tmp_path/'data'
    shutil.copytree(synth, data)
    needles = BROKEN[fault](data)
    one_line_error(cli('celeba_vae_train', '--data', data, '--out', tmp_path/'run', *TINY, env=env), *needles)
    cache = Path(env['CELEBA_VAE_CACHE'])
    left = [p.name for p in cache.rglob('*') if p.is_file()] if cache.exists() else []
    assert not [n for n in left if 'partial' in n or n.endswith('.tmp')], left
    assert not (tmp_path/'run'/'checkpoint.pt').exists()


@pytest.fixture(scope='session')
def synth_as(tmp_path_factory):
    "The 300 synthetic faces in Kaggle's layout and as the official zip (read-only: tests copy them before breaking them)."
    tmp = tmp_path_factory.mktemp('layouts')
    return {layout: make_synthetic_celeba(tmp/layout, n=300, seed=0, layout=layout) for layout in ('kaggle', 'zip')}

def rewrite_zip(d, member, data):
    "Rewrite `d`'s zip with `member` holding `data` (None: left out)."
    src, dst = d/IMG_ZIP, d/'new.zip'
    with zipfile.ZipFile(src) as zs, zipfile.ZipFile(dst, 'w') as zd:
        for info in zs.infolist():
            if info.filename != member: zd.writestr(info, zs.read(info))
            elif data is not None: zd.writestr(info, data)
    os.replace(dst, src)

def drop_csv_row(fn, name):
    (fn).write_text(''.join(l for l in fn.read_text().splitlines(keepends=True) if not l.startswith(name + ',')))

KAGGLE_IMAGES = f'{IMG_DIR}/{IMG_DIR}'
BROKEN_COPIES = {
    'kaggle: missing image': ('kaggle', lambda d: ((d/KAGGLE_IMAGES/'000005.jpg').unlink(), [f'{KAGGLE_IMAGES}/000005.jpg', 'listed in list_eval_partition.csv but missing'])[1]),
    "kaggle: header not CelebA's": ('kaggle', lambda d: ((d/'list_attr_celeba.csv').write_text((d/'list_attr_celeba.csv').read_text().replace('image_id,5_o_Clock_Shadow', 'id,5_o_Clock_Shadow', 1)),
                                                          ["list_attr_celeba.csv:1: header is not CelebA's"])[1]),
    'kaggle: lists disagree': ('kaggle', lambda d: (drop_csv_row(d/'list_attr_celeba.csv', '000005.jpg'), ['list_attr_celeba.csv', 'no attributes for 000005.jpg, which list_eval_partition.csv lists'])[1]),
    'zip: a web page': ('zip', lambda d: ((d/IMG_ZIP).write_bytes(b'<!DOCTYPE html><html>Google Drive - Quota exceeded</html>'), [IMG_ZIP, 'not a zip file'])[1]),
    'zip: truncated': ('zip', lambda d: ((d/IMG_ZIP).write_bytes((d/IMG_ZIP).read_bytes()[:100_000]), [IMG_ZIP, 'not a whole zip file'])[1]),
    'zip: member not a jpeg': ('zip', lambda d: (rewrite_zip(d, f'{IMG_DIR}/000005.jpg', b'<html>quota exceeded</html>'), [f'{IMG_ZIP}:{IMG_DIR}/000005.jpg', 'cannot decode'])[1]),
    'zip: missing member': ('zip', lambda d: (rewrite_zip(d, f'{IMG_DIR}/000005.jpg', None), [f'{IMG_ZIP}:{IMG_DIR}/000005.jpg', 'listed in list_eval_partition.txt but missing'])[1]),
    # hostile archives: nothing is inflated past 16 MiB, nothing outside the image folder is read
    'zip: a member of 64 MiB': ('zip', lambda d: (rewrite_zip(d, f'{IMG_DIR}/000005.jpg', bytes(64 << 20)), [f'{IMG_DIR}/000005.jpg', 'its index says 67,108,864 bytes, more than any image'])[1]),
    'zip: an index that lies about a size': ('zip', lambda d: (rewrite_zip(d, f'{IMG_DIR}/000005.jpg', bytes(64 << 20)), say_size(d/IMG_ZIP, f'{IMG_DIR}/000005.jpg', 10_000),
                                                               [f'{IMG_DIR}/000005.jpg', 'inflates past 16 MiB'])[2]),
    'zip: a 20000x20000 jpeg': ('zip', lambda d: (rewrite_zip(d, f'{IMG_DIR}/000005.jpg', huge_jpeg_header()), [f'{IMG_DIR}/000005.jpg', 'exceeds limit'])[1]),
    'zip: a list naming ../': ('zip', lambda d: ((d/PARTITION_FILE).write_text((d/PARTITION_FILE).read_text().replace('000005.jpg', '../000005.jpg')),
                                                 [f'{PARTITION_FILE}:5', "'../000005.jpg' is not a file name"])[1]),
    'zip: central directory cut off': ('zip', lambda d: ((d/IMG_ZIP).write_bytes((d/IMG_ZIP).read_bytes()[:-30]), [IMG_ZIP, 'not a whole zip file'])[1]),
}
FOUND_BY_DECODING = {'zip: member not a jpeg', 'zip: a member of 64 MiB', 'zip: an index that lies about a size', 'zip: a 20000x20000 jpeg'}

def say_size(zip_path, member, size):
    "Make the zip's index say that `member` holds `size` bytes."
    data = bytearray(zip_path.read_bytes())
    at = next(i for i in range(data.rfind(b'PK\x05\x06'), -1, -1) if data.startswith(b'PK\x01\x02', i) and data[i + 46:i + 46 + len(member)] == member.encode())
    data[at + 24:at + 28] = size.to_bytes(4, 'little')
    zip_path.write_bytes(bytes(data))

def huge_jpeg_header():
    "A JPEG whose header says 20,000×20,000: its pixels would take 1.2 GB."
    buf = io.BytesIO(); __import__('PIL.Image').Image.new('RGB', (178, 218)).save(buf, 'JPEG')
    data = bytearray(buf.getvalue()); sof = data.index(b'\xff\xc0')
    data[sof + 5:sof + 9] = (20_000).to_bytes(2, 'big') * 2
    return bytes(data)

@pytest.mark.parametrize('fault', list(BROKEN_COPIES))
def test_broken_copy_one_clear_error(synth_as, tmp_path, env, fault):
    layout, damage = BROKEN_COPIES[fault]
    data = tmp_path/'data'
    shutil.copytree(synth_as[layout], data)
    needles = damage(data)
    one_line_error(cli('celeba_vae_train', '--data', data, '--out', tmp_path/'run', *TINY, env=env), *needles)
    if fault in FOUND_BY_DECODING: # only decoding finds it, which is what `celeba_vae_data --check` does
        r = cli('celeba_vae_data', data, '--check', env=env)
        assert r.returncode == 2 and [l for l in r.stdout.splitlines() if l.startswith('broken: ') and all(n in l for n in needles)], r.stdout[-2000:]
    else: one_line_error(cli('celeba_vae_data', data, env=env), *needles)   # the describing command says the same
    assert not (tmp_path/'run'/'checkpoint.pt').exists()


def test_zip_bomb_checked_in_bounded_memory(synth_as, tmp_path, env):
    "A member of 1.9 GiB of zeros (9 MB zipped) whose index says 10,000 bytes: `--check` names it, and no process holds more than 16 MiB of it."
    data = tmp_path/'data'
    shutil.copytree(synth_as['zip'], data)
    rewrite_zip(data, f'{IMG_DIR}/000005.jpg', None)
    with zipfile.ZipFile(data/IMG_ZIP, 'a', zipfile.ZIP_DEFLATED, compresslevel=1) as zf, zf.open(f'{IMG_DIR}/000005.jpg', 'w') as f:
        for _ in range(31): f.write(bytes(64 << 20)) # under 2 GiB: no zip64 fields, whose sizes say_size does not rewrite
    say_size(data/IMG_ZIP, f'{IMG_DIR}/000005.jpg', 10_000)
    r = cli(sys.executable, Path(__file__).parent.parent/'scripts'/'timed.py', tmp_path/'log', 'celeba_vae_data', data, '--check', env=env)
    end = json.loads(r.stdout.splitlines()[-1])
    assert end['rc'] == 2 and any(l.split(None, 1)[1].startswith('broken: ') and '000005.jpg' in l and 'inflates past 16 MiB' in l
                                  for l in r.stdout.splitlines()[:-1]), r.stdout[-2000:]
    assert end['peak_rss_mb'] < 1500, end   # the largest process; inflating the member whole would take over 2,000 MB

def test_data_is_a_file(tmp_path, env):
    (tmp_path/'f.txt').write_text('x')
    one_line_error(cli('celeba_vae_train', '--data', tmp_path/'f.txt', env=env), 'f.txt', 'not a folder')


# 4. cache faults

def test_kill_during_cache_build_then_rebuild(tmp_path, env):
    big = make_synthetic_celeba(tmp_path/'big', n=3000, seed=1)
    cache = tmp_path/'c'
    p = subprocess.Popen([sys.executable, '-c', f"from celeba_vae.loaders import CelebA64; CelebA64({str(big)!r}, 'train', {str(cache)!r})"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    def decoded_rows():
        "Whether some rows of the partial array have been decoded (its untouched rows are zeros)."
        for f in cache.glob('train.partial-*.npy'):
            try: a = np.load(f, mmap_mode='r')
            except (ValueError, OSError, EOFError): return False   # header not written yet
            return bool(a[0].any() or a[512].any())
        return False
    deadline = time.time() + 120
    while p.poll() is None and time.time() < deadline and not decoded_rows(): time.sleep(0.002)
    if p.poll() is not None or not decoded_rows(): p.kill(); pytest.fail(f"the build never got mid-way (exit {p.poll()})")
    p.send_signal(signal.SIGKILL)
    assert p.wait(timeout=60) == -9                 # the kill hit the build mid-way...
    assert not (cache/'train.json').exists()       # ...so no manifest: the partial array is never used
    rebuilt = CelebA64(big, 'train', cache)
    assert (cache/'train.json').exists()
    clean = CelebA64(big, 'train', tmp_path/'clean')
    assert torch.equal(rebuilt[:], clean[:])


def test_changed_source_rebuilds(synth, tmp_path):
    data = tmp_path/'data'; shutil.copytree(synth, data)
    cache = tmp_path/'c'
    ds = CelebA64(data, 'train', cache)
    from PIL import Image
    Image.open(data/IMG_DIR/'000001.jpg').rotate(90).save(data/IMG_DIR/'000001.jpg')
    ds2 = CelebA64(data, 'train', cache)
    assert torch.equal(ds2[0], torch.from_numpy(load_face(data/IMG_DIR/'000001.jpg')))   # the new pixels
    assert not torch.equal(ds[0], ds2[0]) and torch.equal(ds[1], ds2[1])


# 5. disk full while saving a checkpoint

def test_disk_full_keeps_previous_checkpoint(synth, tmp_path, monkeypatch, capsys):
    out = tmp_path/'run'
    real_open = builtins.open
    def open_filling_disk(f, mode='r', *a, **k):
        if ('w' in mode or 'x' in mode) and re.search(r'checkpoint\.pt\..*\.tmp$', str(f)) and (out/'checkpoint.pt').exists():
            class Full(io.FileIO):
                def write(self, b): raise OSError(28, 'No space left on device')
            return Full(f, mode)
        return real_open(f, mode, *a, **k)
    monkeypatch.setattr(builtins, 'open', open_filling_disk)
    monkeypatch.setenv('CELEBA_VAE_CACHE', str(tmp_path/'cache'))
    with pytest.raises(SystemExit) as e:
        celeba_vae_train(data=str(synth), out=str(out), epochs=2, bs=32, limit=96, ckpt_every=2, device='cpu')
    assert e.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and 'No space left on device' in err[0], err
    monkeypatch.undo()
    assert load_checkpoint(out/'checkpoint.pt')['step'] == 2
    assert not list(out.glob('checkpoint.pt.*tmp'))


# 6. numerics

def poisoned_run_stops(synth, tmp_path, after_step:int, log_every:int, stops_at:int):
    "A run whose weights are poisoned after `after_step` stops naming `stops_at`, keeps step 3's finite checkpoint, writes no weights."
    def poison(state, model):
        if state.step == after_step: model.fc_var.weight.data.fill_(float('inf'))
    cfg = TrainConfig(data=str(synth), out=str(tmp_path/'run'), epochs=2, bs=32, limit=192, ckpt_every=3, log_every=log_every,
                      cache_dir=str(tmp_path/'cache'))
    with pytest.raises(TrainingDiverged, match=f'at step {stops_at}'): train(cfg, cbs=[poison])
    ck = load_checkpoint(tmp_path/'run'/'checkpoint.pt')
    assert ck['step'] == 3 and all(torch.isfinite(v).all() for v in ck['model'].values() if v.is_floating_point())
    assert not (tmp_path/'run'/'model.safetensors').exists()

def test_nan_loss_stops_and_keeps_checkpoint(synth, tmp_path):
    poisoned_run_stops(synth, tmp_path, after_step=4, log_every=2, stops_at=5)

def test_nan_on_a_checkpoint_step_is_never_written(synth, tmp_path):
    "The loss is checked before every checkpoint, not only at the routine checks: here the NaN falls on a checkpoint step."
    poisoned_run_stops(synth, tmp_path, after_step=5, log_every=20, stops_at=6)


def test_fp16_scaler_skips_overflows_and_resumes_exactly(synth, tmp_path, monkeypatch):
    "The T4 path (fp16 autocast and a GradScaler) run on this CPU: PyTorch has both there, and `pick_precision` is told to answer fp16."
    import celeba_vae.train
    monkeypatch.setattr(celeba_vae.train, 'pick_precision', lambda device, name='auto': torch.float16)
    monkeypatch.setattr(torch.amp, 'GradScaler', partial(torch.amp.GradScaler, init_scale=2.0**22)) # some early steps overflow
    cfg = lambda out: TrainConfig(data=str(synth), out=str(tmp_path/out), epochs=2, bs=32, limit=128, ckpt_every=3, cache_dir=str(tmp_path/'cache'))
    full = train(cfg('full'))
    ck = load_checkpoint(full/'checkpoint.pt')
    adam_steps = float(ck['optimizer']['state'][0]['step'])
    assert ck['scaler']['scale'] < 2.0**22 and 0 < adam_steps < ck['step'], (ck['scaler'], adam_steps, ck['step']) # overflows skipped, scale backed off
    class Crash(Exception): pass
    def crash(state, model):
        if state.step == 5: raise Crash()
    with pytest.raises(Crash): train(cfg('cut'), cbs=[crash])
    assert load_checkpoint(tmp_path/'cut'/'checkpoint.pt')['scaler']['scale'] < 2.0**22 # a fresh scaler would differ from it
    train(cfg('cut'), resume=True) # from step 3's checkpoint, its scaler state included
    assert same_weights(full, tmp_path/'cut')


# 7. command-line values

BAD_FLAGS = {'--epochs 0': 'epochs=0', '--bs 0': 'bs=0', '--lr nan': 'lr=nan', '--lr -0.1': 'lr=-0.1',
             '--device quantum': "device='quantum'", '--out FILE': 'is a file', '--data FILE': 'not a folder'}

@pytest.mark.parametrize('flags', list(BAD_FLAGS))
def test_bad_cli_values(tmp_path, env, flags):
    (tmp_path/'FILE').write_text('x')
    args = [str(tmp_path/a) if a == 'FILE' else a for a in flags.split()]
    one_line_error(cli('celeba_vae_train', *args, env=env), BAD_FLAGS[flags])


# 8. the Reliability page names exactly these tests and those of test_distributed.py, one row each

def test_every_row_has_a_test():
    page = json.loads((Path(__file__).parent.parent/'nbs'/'12_reliability.ipynb').read_text())
    text = ''.join(''.join(c['source']) + '\n' for c in page['cells'] if c['cell_type'] == 'markdown')
    rows = [l for l in text.splitlines() if l.startswith('| ') and not l.startswith(('| Fault', '|---'))]
    named = [re.findall(r'`(test_[^`]+)`', r.rsplit('|', 2)[-2]) for r in rows]
    assert all(len(n) == 1 for n in named), [r for r, n in zip(rows, named) if len(n) != 1]   # one test id per row
    named = [n[0] for n in named]
    files = [__file__, str(Path(__file__).parent/'test_distributed.py')]
    r = subprocess.run([sys.executable, '-m', 'pytest', '--collect-only', '-q', '-p', 'no:cacheprovider', *files],
                       capture_output=True, text=True, timeout=300)
    ids = [l.split('::', 1)[1] for l in r.stdout.splitlines() if '::' in l]
    collected = [i for i in ids if i != 'test_every_row_has_a_test']
    assert len(set(ids)) == len(ids) and sorted(named) == sorted(collected), (set(named) ^ set(collected), len(named), len(collected))
