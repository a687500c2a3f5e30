"""The planner of the Hardware chapter in fresh processes: the first process on a machine measures every choice of the step,
the next one measures nothing and takes the same choices, and a changed machine (here oneDNN held below its ISA, as
`tests/test_portable.py` emulates other CPUs) measures again. Every kept choice is the faster side of what was measured."""
import json, os, shutil, subprocess, sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PLAN = """import json, torch
from celeba_vae.hardware import planner
from celeba_vae.kernels import kernels_state, plan_step
from celeba_vae.model import VAE
summary = plan_step(VAE().to(memory_format=torch.channels_last), 16, 'cpu', torch.bfloat16)
print(json.dumps(dict(kernels=kernels_state(), measured=planner().measured, summary=summary, folder=str(planner().folder),
                      choices={k: v[1] for k, v in planner().choices.items()})))"""

def plan_in_new_process(cache:Path, **env) -> dict:
    env = os.environ | {'CELEBA_VAE_CACHE': str(cache)} | env
    for k in ('CELEBA_VAE_PLAN', 'CELEBA_VAE_KERNELS'): env.pop(k, None)
    r = subprocess.run([sys.executable, '-c', PLAN], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    return json.loads(r.stdout.splitlines()[-1])

def test_second_process_measures_nothing_and_a_changed_machine_measures_again(tmp_path):
    if not shutil.which(os.environ.get('CC', 'cc')): pytest.skip("needs a C compiler: without one there are no kernels to choose")
    first = plan_in_new_process(tmp_path)
    assert first['kernels'] == 'on', first['kernels']
    assert first['measured'] > 0 and first['summary'].startswith('ours for '), first
    second = plan_in_new_process(tmp_path)
    assert second['measured'] == 0, second          # read from the cache folder, not measured
    # the same path for every operation it runs (the first also chose inside candidates it then measured slower)
    assert second['choices'].items() <= first['choices'].items() and second['summary'] == first['summary'], (first, second)
    other = plan_in_new_process(tmp_path, ONEDNN_MAX_CPU_ISA='AVX2')
    assert other['folder'] != first['folder'] and other['measured'] > 0, other
    records = [json.loads(p.read_text()) for p in (tmp_path/'plans').rglob('*.json')]
    assert len(records) == first['measured'] + other['measured']
    for r in records: assert r['choice'] == min(r['seconds'], key=r['seconds'].get), r # never the side that measured slower
