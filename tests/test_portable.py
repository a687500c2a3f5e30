"""The project on machines unlike ours, emulated on this one, and its C kernels under the sanitizers.

Machines: a CPU with AVX2 only (`/proc/cpuinfo` without its AVX-512 and AMX flags, bind-mounted in a private mount
namespace, and ATen and oneDNN held to AVX2), one with no C compiler (the compiler hidden the same way), and one where
`CELEBA_VAE_KERNELS=0`. On each, in fresh processes: what the machine takes (precision, kernels), the chapters that touch
precision or kernels, and a short training run whose fit line says whether the kernels are on. The namespaces need root
and `unshare`; elsewhere those machines are skipped with the reason. Then the kernels built with AddressSanitizer and
UBSan, any report failing the test: the kernels chapter and a few seed steps.
"""
import json, os, re, shutil, subprocess, sys
from pathlib import Path

import pytest
from conftest import can_unshare

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = r'^(06_hardware|06a_kernels|08_train)\.ipynb$' # the chapters that touch precision or kernels
NAMESPACES = can_unshare() and Path('/proc/cpuinfo').exists()
NO_NAMESPACES = 'emulated in a private mount namespace, which needs root and unshare (refused here)'

def avx2_cpuinfo(dest:Path) -> Path:
    "A copy of /proc/cpuinfo without the AVX-512 and AMX flags."
    lines = [l if not l.startswith('flags') else l.split(':')[0] + ': ' + ' '.join(
                 f for f in l.split(':', 1)[1].split() if not f.startswith(('avx512', 'amx'))) for l in Path('/proc/cpuinfo').read_text().splitlines()]
    dest.write_text('\n'.join(lines) + '\n')
    return dest

def compilers() -> list[str]:
    "Every file that `cc`, `gcc` and `clang` name here."
    return sorted({os.path.realpath(p) for p in map(shutil.which, ('cc', 'gcc', 'clang', 'c99')) if p})

MACHINES = {
    'avx2-only': dict(env={'ATEN_CPU_CAPABILITY': 'avx2', 'ONEDNN_MAX_CPU_ISA': 'AVX2'}, namespace=True,
                      expect=dict(precision=None, kernels='on', bf16_kernels=False)),
    'no-compiler': dict(env={}, namespace=True, expect=dict(kernels='off: no C compiler (set CC)', bf16_kernels=False)),
    'kernels-off': dict(env={'CELEBA_VAE_KERNELS': '0'}, namespace=False, expect=dict(kernels='off: CELEBA_VAE_KERNELS=0', bf16_kernels=False)),
}

def run_on(machine:str, cmd:list, tmp:Path, timeout:int) -> subprocess.CompletedProcess:
    "Run `cmd` in the repository as on `machine`, with a fresh cache under `tmp`."
    spec = MACHINES[machine]
    if spec['namespace'] and not NAMESPACES: pytest.skip(f"{machine}: {NO_NAMESPACES}")
    env = os.environ | {'CELEBA_VAE_CACHE': str(tmp/'cache'), 'PYTHONUNBUFFERED': '1'} | spec['env']
    env.pop('CC', None)
    mounts = []
    if machine == 'avx2-only': mounts = [(avx2_cpuinfo(tmp/'cpuinfo'), '/proc/cpuinfo')]
    if machine == 'no-compiler': mounts = [('/dev/null', c) for c in compilers()]
    if mounts:
        binds = ' && '.join(f"mount --bind '{src}' '{dst}'" for src, dst in mounts)
        cmd = ['unshare', '-m', '--propagation', 'private', 'sh', '-c', f'{binds} && exec "$@"', 'sh', *cmd]
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)

PROBE = """import json, platform, torch
from celeba_vae.hardware import cpu_flags, pick_precision
from celeba_vae.kernels import _bf16_kernels, kernels_state
print(json.dumps(dict(precision=str(pick_precision('cpu')) if pick_precision('cpu') else None, kernels=kernels_state(), bf16_kernels=_bf16_kernels(),
                      avx512=sorted(f for f in cpu_flags() if f.startswith('avx512')), aten=torch.backends.cpu.get_cpu_capability())))"""

@pytest.mark.parametrize('machine', MACHINES)
def test_machine_path(machine, tmp_path):
    "What the machine takes: the precision `auto` picks and the kernels built, from a fresh process."
    r = run_on(machine, [sys.executable, '-c', PROBE], tmp_path, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    got = json.loads(r.stdout.splitlines()[-1])
    print(machine, got)
    for k, v in MACHINES[machine]['expect'].items(): assert got[k] == v, (k, got)
    if machine == 'avx2-only': assert got['avx512'] == [] and got['aten'] in ('AVX2', 'DEFAULT'), got

@pytest.mark.parametrize('machine', MACHINES)
def test_chapters(machine, tmp_path):
    "`nbdev_test` on the chapters that touch precision or kernels."
    r = run_on(machine, [shutil.which('nbdev_test') or 'nbdev_test', '--path', 'nbs', '--file_re', CHAPTERS], tmp_path, timeout=1200)
    assert r.returncode == 0, (r.stdout + r.stderr)[-6000:]

@pytest.mark.parametrize('machine', MACHINES)
def test_short_run(machine, tmp_path):
    "A short bf16 run on the synthetic set trains, and its fit line says what the kernels are."
    cmd = [shutil.which('celeba_vae_train') or 'celeba_vae_train', '--synth_n', '400', '--limit', '256', '--epochs', '1', '--bs', '32',
           '--precision', 'bf16', '--out', str(tmp_path/'run')]
    r = run_on(machine, cmd, tmp_path, timeout=600)
    assert r.returncode == 0, (r.stdout + r.stderr)[-3000:]
    fit = next(l for l in r.stdout.splitlines() if l.startswith('training on'))
    state = f"CPU kernels {MACHINES[machine]['expect']['kernels']}"
    assert fit.endswith(state) or state == 'CPU kernels on' and re.search(r'CPU kernels on \(ours for .*, as measured on this machine\)$', fit), fit
    assert (tmp_path/'run'/'metrics.csv').exists() and (tmp_path/'run'/'model.safetensors').exists()

# ---- the kernels under AddressSanitizer and UBSan
def sanitizer_env(tmp:Path) -> dict:
    libs = [subprocess.run(['gcc', f'-print-file-name={lib}'], capture_output=True, text=True).stdout.strip() for lib in ('libasan.so', 'libubsan.so')]
    if not all(os.path.isabs(l) and os.path.exists(l) for l in libs): pytest.skip("needs gcc's libasan and libubsan")
    return os.environ | {'CELEBA_VAE_CACHE': str(tmp/'cache'), 'LD_PRELOAD': ' '.join(libs), 'ASAN_OPTIONS': 'detect_leaks=0',
                         'UBSAN_OPTIONS': 'halt_on_error=1:print_stacktrace=1',
                         'CELEBA_VAE_KERNEL_CFLAGS': '-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g',
                         'CELEBA_VAE_PLAN': 'ours'} # every kernel runs, whatever this machine measured faster

def assert_clean(r:subprocess.CompletedProcess, tmp:Path):
    out = r.stdout + r.stderr
    assert 'Sanitizer' not in out and 'runtime error' not in out, out[-6000:]
    assert r.returncode == 0, out[-6000:]
    libs = list((tmp/'cache'/'kernels').glob('kernels-*.so'))   # and what ran was built with the sanitizers, not a plain library:
    assert libs and all(b'__asan_init' in l.read_bytes() for l in libs), libs   # every library with ASan's runtime, and the
    assert b'__ubsan_handle' in max(libs, key=lambda l: l.stat().st_size).read_bytes()   # whole kernels' one with UBSan's checks

@pytest.mark.skipif(shutil.which('gcc') is None, reason='needs gcc')
def test_sanitized_kernels_chapter(tmp_path):
    "The kernels chapter (every kernel against PyTorch, the width sweep) on a library built with the sanitizers."
    assert_clean(subprocess.run([shutil.which('nbdev_test') or 'nbdev_test', '--path', 'nbs/06a_kernels.ipynb'], cwd=ROOT,
                                env=sanitizer_env(tmp_path), capture_output=True, text=True, timeout=1800), tmp_path)

SEED_STEPS = """import torch
from celeba_vae.kernels import kernels
from celeba_vae.model import VAE
from celeba_vae.train import train_step
assert kernels() is not None
torch.manual_seed(0); model = VAE().to(memory_format=torch.channels_last)
opt = torch.optim.Adam(model.parameters(), lr=0.005, fused=True)
for _ in range(3):
    x = (torch.rand(32, 3, 64, 64) * 2 - 1).contiguous(memory_format=torch.channels_last)
    assert torch.isfinite(train_step(model, opt, x, 0.00025, 'cpu', torch.bfloat16)).all()
print('ok')"""

@pytest.mark.skipif(shutil.which('gcc') is None, reason='needs gcc')
def test_sanitized_seed_steps(tmp_path):
    "Three bf16 seed steps through the kernels built with the sanitizers."
    r = subprocess.run([sys.executable, '-c', SEED_STEPS], cwd=ROOT, env=sanitizer_env(tmp_path), capture_output=True, text=True, timeout=900)
    assert_clean(r, tmp_path); assert r.stdout.strip().endswith('ok')
