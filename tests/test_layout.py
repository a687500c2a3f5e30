"""The layout keeps the promises of the redesign: imports flow one way, from earlier chapters to later ones
(function-level imports included), no code cell is over 40 lines, and the notebooks stay light."""
import ast, json
from pathlib import Path


from conftest import ROOT, exported_modules

PKG = 'celeba_vae'


def chapter_order() -> dict[str, int]:
    "Module name → its chapter's position."
    return {module: i for i, module in enumerate(exported_modules().values())}


def imported_modules(path:Path) -> set[str]:
    "The package's modules that the file imports anywhere in it, inside functions too."
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            mod = node.module or ''
            if node.level: mod = f"{PKG}.{mod}" if mod else PKG # relative: from . import x / from .x import y
            if mod == PKG: found |= {f"{PKG}.{a.name}" for a in node.names}
            elif mod.startswith(PKG + '.'): found.add(mod)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith(PKG + '.')}
    return {m.split('.')[1] for m in found}


def test_imports_flow_from_earlier_chapters_only():
    order = chapter_order()
    modules = {p.stem: imported_modules(p) for p in (ROOT/PKG).glob('*.py') if not p.stem.startswith('_')}
    assert set(modules) == set(order), set(modules) ^ set(order)   # one module per chapter notebook
    backwards = [(m, d) for m, deps in modules.items() for d in deps if order[d] >= order[m]]
    assert not backwards, f"imports against the chapter order (a cycle waiting to happen): {backwards}"


def test_the_import_check_sees_function_level_imports(tmp_path):
    f = tmp_path/'m.py'
    f.write_text("import os\ndef f():\n    from celeba_vae.cli import x\n    from .train import y\n    import celeba_vae.bench\n")
    assert imported_modules(f) == {'cli', 'train', 'bench'}


def code_cells():
    for nb in sorted((ROOT/'nbs').glob('*.ipynb')):
        for i, c in enumerate(json.loads(nb.read_text())['cells']):
            if c['cell_type'] == 'code': yield nb.name, i, ''.join(c['source'])


def test_no_code_cell_over_40_lines():
    big = [(nb, i, len(src.splitlines())) for nb, i, src in code_cells() if len(src.splitlines()) > 40]
    assert not big, big


def test_notebooks_are_light():
    sizes = {p.name: p.stat().st_size for p in (ROOT/'nbs').glob('*.ipynb')}
    assert all(s < 500_000 for s in sizes.values()), {k: v for k, v in sizes.items() if v >= 500_000}
    total = sum(p.stat().st_size for p in (ROOT/'nbs').rglob('*') if p.is_file())
    assert total < 2_500_000, f"nbs/ holds {total:,} bytes"


def test_no_markdown_cell_over_400_words():
    "Prose cells say one thing each: none runs past 400 words."
    long = [(nb.name, c['id'], len(''.join(c['source']).split())) for nb in sorted((ROOT/'nbs').glob('*.ipynb'))
            for c in json.loads(nb.read_text())['cells'] if c['cell_type'] == 'markdown' and len(''.join(c['source']).split()) > 400]
    assert not long, long


def test_only_the_commands_import_the_training_loop():
    "Evaluating, sampling and exploring need weights, not the loop: only `cli` and `bench` import `train`."
    importers = {p.stem for p in (ROOT/PKG).glob('*.py') if not p.stem.startswith('_') and 'train' in imported_modules(p)}
    assert importers == {'cli', 'bench'}, importers


def test_the_distributed_helpers_have_one_home():
    "The process-group helpers live in `distributed`: the loop and the commands import them from there, and nothing re-exports them."
    import celeba_vae.distributed as distributed, celeba_vae.train as train
    assert not set(distributed.__all__) & set(train.__all__), set(distributed.__all__) & set(train.__all__)
    assert 'distributed' in imported_modules(ROOT/PKG/'cli.py') and 'distributed' in imported_modules(ROOT/PKG/'train.py')


def test_the_loop_imports_no_kernels():
    "The Learner and its callbacks run on any machine: neither imports the CPU kernels (the seed's `Trainer` attaches them)."
    for module in ('learner', 'callbacks'): assert 'kernels' not in imported_modules(ROOT/PKG/f'{module}.py'), module
