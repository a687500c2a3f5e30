"""Execute notebooks in place, saving their outputs, as `nbdev_test` runs them.

The docs and README show the outputs saved in the notebooks. Run this after changing a notebook,
then `nbdev_clean`. Like `nbdev_test` it skips `#| eval: false` cells, cells carrying a test flag
from settings.ini (unless passed with --flags) and `nbdev_export()` calls.
"""
import os, sys
from pathlib import Path
from fastcore.script import call_parse
from execnb.nbio import read_nb, write_nb
from execnb.shell import CaptureShell
from nbdev.config import get_config
from nbdev.process import extract_directives

def _skip(flags):
    def skip(cell):
        if cell.cell_type != 'code' or 'nbdev_export(' in cell.source: return True
        direc = getattr(cell, 'directives_', {}) or {}
        if direc.get('eval:', [''])[0].lower() == 'false': return True
        return bool(flags & direc.keys())
    return skip

@call_parse
def run_nbs(paths:str, # notebooks to run (space-separated), or 'all'
            flags:str='', # test flags whose cells run too (e.g. 'slow')
           ):
    "Run notebooks top to bottom and save their outputs."
    cfg = get_config()
    skip = set(cfg.get('tst_flags', '').split()) - set(flags.split())
    nbs = sorted(cfg.nbs_path.glob('[!_]*.ipynb')) if paths == 'all' else [Path(p) for p in paths.split()]
    for fn in nbs:
        nb = read_nb(fn)
        for cell in nb.cells:
            if cell.cell_type == 'code': cell.directives_ = extract_directives(cell, remove=False)
        shell = CaptureShell(fn)
        cwd = os.getcwd()
        os.chdir(fn.parent)
        try: shell.run_all(nb, exc_stop=True, preproc=_skip(skip))
        except Exception:
            sys.stderr.write(shell.prettytb(fname=fn) + '\n'); sys.exit(1)
        finally: os.chdir(cwd)
        for cell in nb.cells: cell.pop('directives_', None)
        write_nb(nb, fn)
        print(f"ran {fn}")
