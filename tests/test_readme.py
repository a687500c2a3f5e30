"""The README, read as a newcomer reads it: its Python example runs as printed, and its opening stays short."""
import os, re, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT/'README.md').read_text()

def test_python_example_runs_as_printed(tmp_path):
    example = re.search(r'## Use it from Python\n\n```python\n(.*?)```', README, re.S).group(1)
    assert len(example.strip().splitlines()) == 3, example
    env = os.environ | {'CELEBA_VAE_CACHE': str(tmp_path/'cache')}
    r = subprocess.run([sys.executable, '-c', example], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    runs = list((tmp_path/'runs').iterdir())
    assert len(runs) == 1 and {'model.safetensors', 'metrics.csv', 'config.json', 'checkpoint.pt'} <= {p.name for p in runs[0].iterdir()}, runs
    assert str(runs[0].name) in r.stdout.splitlines()[-1], r.stdout[-500:]

def test_opening_is_short_and_defines_the_seed():
    after_commands = README.split('pip install -e ".[dev]" && nbdev_test\n```', 1)[1].split('\n## ', 1)[0]
    assert len(after_commands.split()) < 150, len(after_commands.split())
    first = README.index('the seed')
    assert README[first - 1:first + len('the seed') + 2] == '*the seed*:', README[first - 20:first + 40]   # defined where it first appears
