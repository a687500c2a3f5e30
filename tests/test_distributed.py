"""Several nodes without a GPU: two `torchrun` "nodes" on localhost, one process each, that share no files.

Each node has its own folder holding its home (so its own cache), its data and its run folder. Where the test runs as
root, each node also runs in a mount namespace of its own (`unshare -m`) with its folder bind-mounted at one path that
both use: the same path names different files on each node, as on machines with local disks. Every process has a
timeout; nothing here can hang CI.
"""
import os, re, shutil, signal, socket, subprocess, sys, time, warnings
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from celeba_vae.checkpoint import load_checkpoint
from celeba_vae.synth import make_synthetic_celeba
from conftest import can_unshare

ARGS = ['--bs', '32', '--limit', '128', '--device', 'cpu', '--seed', '0']
PRIVATE = can_unshare()
if not PRIVATE: warnings.warn("no private mount namespace here (it needs root and unshare): the two nodes share this machine's paths")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0)); return s.getsockname()[1]


def env_for(home) -> dict:
    """A node's environment: its own home (and cache). Its planner is held to our kernels: nodes with caches of their own would each
    measure, and may take other sides than the run they are compared with, bit for bit (the Hardware chapter's planner)."""
    env = {k: v for k, v in os.environ.items() if k != 'CELEBA_VAE_CACHE'}
    return {**env, 'HOME': str(home), 'OMP_NUM_THREADS': '1', 'GLOO_SOCKET_IFNAME': 'lo', 'CELEBA_VAE_PLAN': 'ours'}


def start_nodes(nodes:list[Path], mount:Path, *args) -> list[subprocess.Popen]:
    "Start `celeba_vae_train *args` as node i of 2 in folder `nodes[i]` (at the path `mount` where namespaces are private)."
    port, procs = free_port(), []
    for rank, node in enumerate(nodes):
        where = mount if PRIVATE else node
        cmd = ['torchrun', '--nnodes=2', f'--node_rank={rank}', '--nproc_per_node=1', '--master_addr=127.0.0.1',
               f'--master_port={port}', '--no-python', 'celeba_vae_train', *args]
        if PRIVATE: cmd = ['unshare', '-m', '--propagation', 'private', 'sh', '-c', f'mount --bind "{node}" "{mount}" && cd "{mount}" && exec "$@"', 'sh', *cmd]
        procs.append(subprocess.Popen(cmd, cwd=node, env=env_for(where/'home'), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    return procs


def finish(procs, timeout=300) -> list[tuple[int, str]]:
    "Wait for every process (killing all at the timeout); their exit codes and stderr."
    deadline, out = time.time() + timeout, []
    for p in procs:
        try: _, err = p.communicate(timeout=max(1, deadline - time.time()))
        except subprocess.TimeoutExpired:
            for q in procs: q.kill()
            pytest.fail(f"a node did not finish in {timeout} s")
        out.append((p.returncode, err))
    return out


def same_weights(a, b) -> bool:
    wa, wb = load_file(str(a)), load_file(str(b))
    return wa.keys() == wb.keys() and all(torch.equal(wa[k], wb[k]) for k in wa)


@pytest.fixture(scope='module')
def synth(tmp_path_factory):
    return make_synthetic_celeba(tmp_path_factory.mktemp('data')/'synth', n=300, seed=0)


@pytest.fixture(scope='module')
def one_node(synth, tmp_path_factory):
    "The reference: one node, two processes, 2 epochs."
    tmp = tmp_path_factory.mktemp('one')
    r = subprocess.run(['torchrun', '--nproc_per_node=2', f'--master_port={free_port()}', '--no-python', 'celeba_vae_train',
                        '--data', str(synth), '--out', str(tmp/'run'), '--epochs', '2', *ARGS],
                       capture_output=True, text=True, timeout=300, env={**env_for(tmp/'home'), 'GLOO_SOCKET_IFNAME': 'lo'})
    assert r.returncode == 0, r.stderr[-3000:]
    return tmp/'run'


@pytest.fixture
def nodes(synth, tmp_path):
    "Two node folders, each with its own copy of the data and its own home; and the mount point they share."
    made = []
    for i in range(2):
        shutil.copytree(synth, tmp_path/f'node{i}'/'data'); (tmp_path/f'node{i}'/'home').mkdir()
        made.append(tmp_path/f'node{i}')
    (tmp_path/'mnt').mkdir()
    return made, tmp_path/'mnt'


def test_two_nodes_train_the_model_of_one_node(one_node, nodes):
    (n0, n1), mount = nodes
    for code, err in finish(start_nodes([n0, n1], mount, '--data', 'data', '--out', 'run', '--epochs', '2', *ARGS)):
        assert code == 0, err[-3000:]
    assert same_weights(n0/'run'/'model.safetensors', one_node/'model.safetensors')   # bit-identical to 1 node × 2 processes
    assert not (n1/'run').exists()                              # files are written by global rank 0 only...
    assert list((n1/'home'/'.cache'/'celeba_vae'/'images').glob('*/train.npy'))   # ...and node 1 built its own cache


def test_two_node_resume_completes_and_matches(one_node, nodes):
    "Resume restores each process's own RNG (node 1's comes from the checkpoint that only node 0 holds)."
    (n0, n1), mount = nodes
    for code, err in finish(start_nodes([n0, n1], mount, '--data', 'data', '--out', 'run', '--epochs', '1', *ARGS)):
        assert code == 0, err[-3000:]
    assert not (n1/'run').exists()
    for code, err in finish(start_nodes([n0, n1], mount, '--resume', '--out', 'run', '--epochs', '2')):
        assert code == 0, err[-3000:]
    assert same_weights(n0/'run'/'model.safetensors', one_node/'model.safetensors')


def test_missing_data_on_one_node_ends_both(nodes):
    (n0, n1), mount = nodes
    shutil.rmtree(n1/'data')
    t0 = time.time()
    results = finish(start_nodes([n0, n1], mount, '--data', 'data', '--out', 'run', '--epochs', '2', *ARGS), timeout=60)
    assert time.time() - t0 < 60
    assert all(code != 0 for code, _ in results), results
    for code, err in results: assert 'data: no such folder' in err, err[-2000:]


def test_data_is_prepared_once_per_node(tmp_path):
    "With no --data, two processes on one node: local rank 0 draws the synthetic set, the other waits and finds it."
    r = subprocess.run(['torchrun', '--nproc_per_node=2', f'--master_port={free_port()}', '--no-python', 'celeba_vae_train',
                        '--synth_n', '300', '--out', str(tmp_path/'run'), '--epochs', '1', *ARGS],
                       capture_output=True, text=True, timeout=300, env=env_for(tmp_path/'home'))
    assert r.returncode == 0, r.stderr[-3000:]
    assert (r.stdout + r.stderr).count('synthetic CelebA-format faces into') == 1, (r.stdout + r.stderr)[-3000:]


def torchrun_script(tmp, script:str, *args) -> subprocess.Popen:
    "Start `script` (python source, wrapping `celeba_vae_train`) as two processes of one node, in `tmp` with its own home."
    (tmp/'wrapper.py').write_text(script) # a file, not `python -c`: fastcore's call_parse reads the command line only in a script
    cmd = ['torchrun', '--nproc_per_node=2', f'--master_port={free_port()}', '--tee', '3', str(tmp/'wrapper.py'), *map(str, args)]
    return subprocess.Popen(cmd, cwd=tmp, env=env_for(tmp/'home'), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


# Holds the run still right after the checkpoint of step `at` is on disk (rank 0 sleeps there; rank 1 waits for it
# at the next step's gradient exchange), so that the test's kill lands mid-epoch, after a step checkpoint, every time.
HOLD_AFTER = """import os, sys, time, pathlib
import celeba_vae.train as T
held, at = pathlib.Path(sys.argv[1]), int(sys.argv[2]); sys.argv[1:] = sys.argv[3:]
held.with_name(f"pid{os.environ['RANK']}").write_text(str(os.getpid()))
checkpoint = T.Trainer.checkpoint
def checkpoint_then_hold(self):
    checkpoint(self)
    if self.main and self.state.step == at: self.ckpt.wait(); held.write_text(f"{self.state.epoch} {self.state.batch}"); time.sleep(300)
T.Trainer.checkpoint = checkpoint_then_hold
from celeba_vae.cli import celeba_vae_train
celeba_vae_train()
"""

def test_two_processes_killed_mid_epoch_resume_exactly(one_node, synth, tmp_path):
    "Both processes killed with -9 after step 3's checkpoint (epoch 2 of 2, its first batch), then resumed: the weights of the uninterrupted run."
    held = tmp_path/'held'
    p = torchrun_script(tmp_path, HOLD_AFTER, held, 3, '--data', synth, '--out', 'run', '--epochs', '2', '--ckpt_every', '1', *ARGS)
    deadline = time.time() + 300
    while p.poll() is None and time.time() < deadline and not held.exists(): time.sleep(0.05)
    if not held.exists(): p.kill(); pytest.fail(f"the run never reached step 3: {p.communicate(timeout=60)[0][-3000:]}")
    assert held.read_text() == '1 1' # one epoch done, one batch into the next
    workers = [int((tmp_path/f'pid{rank}').read_text()) for rank in (0, 1)]
    for pid in [p.pid, *workers]: os.kill(pid, signal.SIGKILL) # torchrun first, so that it cannot react, then both processes
    p.communicate(timeout=60)
    deadline = time.time() + 10
    while any(os.path.exists(f'/proc/{pid}') and 'Z' not in open(f'/proc/{pid}/stat').read().split()[2] for pid in workers) and time.time() < deadline:
        time.sleep(0.1)
    assert load_checkpoint(tmp_path/'run'/'checkpoint.pt')['step'] == 3 and not (tmp_path/'run'/'model.safetensors').exists()
    r = subprocess.run(['torchrun', '--nproc_per_node=2', f'--master_port={free_port()}', '--no-python', 'celeba_vae_train', '--resume', '--out', 'run'],
                       cwd=tmp_path, capture_output=True, text=True, timeout=300, env=env_for(tmp_path/'home'))
    assert r.returncode == 0, r.stderr[-3000:]
    assert same_weights(tmp_path/'run'/'model.safetensors', one_node/'model.safetensors')


# Poisons one weight on rank 1 only, before step `at`: that process's loss is non-finite at step `at`, the other's only
# from the next step (once the all-reduced gradients carry the NaN). Both must stop at the same check, naming step `at`.
POISON_ONE_RANK = """import sys
import celeba_vae.train as T
at = int(sys.argv[1]); sys.argv[1:] = sys.argv[2:]
one_batch = T.Trainer.one_batch
def poisoned(self):
    if self.rank == 1 and self.state.step == at - 1: self.model.fc_var.weight.data.fill_(float('inf'))
    return one_batch(self)
T.Trainer.one_batch = poisoned
from celeba_vae.cli import celeba_vae_train
celeba_vae_train()
"""

def test_nan_on_one_process_stops_both_at_the_same_step(synth, tmp_path):
    p = torchrun_script(tmp_path, POISON_ONE_RANK, 3, '--data', synth, '--out', 'run', '--epochs', '2', *ARGS)
    try: out, _ = p.communicate(timeout=300)
    except subprocess.TimeoutExpired: p.kill(); pytest.fail("a process did not stop")
    assert p.returncode != 0, out[-3000:]
    errors = {rank: [l for l in out.splitlines() if l.startswith(f'[default{rank}]:error: ')] for rank in (0, 1)}
    assert len(errors[1]) == 1 and re.search(r'loss became -?(nan|inf) at step 3 ', errors[1][0]), out[-3000:]
    assert len(errors[0]) == 1 and 'loss became non-finite on another process at step 3 ' in errors[0][0], out[-3000:]
    ck = load_checkpoint(tmp_path/'run'/'checkpoint.pt')   # the epoch-1 checkpoint, written before the NaN, is kept
    assert ck['step'] == 2 and all(torch.isfinite(v).all() for v in ck['model'].values() if v.is_floating_point())
    assert not (tmp_path/'run'/'model.safetensors').exists()
