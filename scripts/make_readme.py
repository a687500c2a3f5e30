"""Write README.md from nbs/index.ipynb without Quarto.

`nbdev_readme` renders the README with Quarto, which cannot be installed on machines with no
internet. This does the same job offline: nbdev's own notebook processing (hidden cells and
directives removed, `show_doc` rendered) and then nbconvert's Markdown exporter. Outputs come
from what is saved in the notebook, as with `nbdev_readme`.
"""
import re, tempfile
from pathlib import Path
import nbformat
from execnb.nbio import write_nb
from nbconvert import MarkdownExporter
from nbdev.config import get_config
from nbdev.process import NBProcessor
from nbdev.processors import FilterDefaults

def make_readme():
    cfg = get_config()
    nb_path = cfg.nbs_path/cfg.readme_nb
    proc = NBProcessor(nb_path, procs=FilterDefaults().xtra_procs() + FilterDefaults().procs())
    proc.process()
    with tempfile.TemporaryDirectory() as tmp:  # round trip through a file: nbformat wants joined sources
        write_nb(proc.nb, Path(tmp)/'readme.ipynb')
        nb = nbformat.read(Path(tmp)/'readme.ipynb', as_version=4)
    body, _ = MarkdownExporter(exclude_input_prompt=True, exclude_output_prompt=True).from_notebook_node(nb)
    body = body.split('\n---\n', 1)[1] if body.startswith('---\n') else body  # front matter is for Quarto
    title = nbformat.read(nb_path, as_version=4).cells[0].source.strip()  # '# title' and '> summary', which nbdev moved into the front matter
    body = body.replace('](images/', f"]({cfg.nbs_path.relative_to(cfg.config_path)}/images/") # the README sits above nbs/
    body = re.sub(r'\]\(([a-z_]+\.html(#[^)]*)?)\)', lambda m: f"]({cfg.doc_host}{cfg.doc_baseurl}/{m[1]})", body) # chapter links: to the docs site
    readme = cfg.config_path/'README.md'
    readme.write_text(title + '\n\n' + body.strip() + '\n', encoding='utf-8')
    return readme

if __name__ == '__main__': print('wrote', make_readme())
