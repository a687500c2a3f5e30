"""The docs renderer obeys each cell option as Quarto does, checked on a small notebook of our own through Pandoc."""
import base64, io, shutil, tempfile
from pathlib import Path

import nbformat
import pytest
from PIL import Image

from conftest import load_build_docs

build_docs = load_build_docs()
pytestmark = pytest.mark.skipif(not shutil.which('pandoc'), reason='pandoc is not installed')


def png() -> str:
    buf = io.BytesIO(); Image.new('RGB', (8, 8), 'red').save(buf, 'PNG'); return base64.b64encode(buf.getvalue()).decode()


def code(src, *outputs):
    c = nbformat.v4.new_code_cell(src); c.outputs = list(outputs); return c


def rendered(tmp_path) -> str:
    md = nbformat.v4.new_output('display_data', {'text/markdown': '[source](x.py){target="_blank" style="float:right"}\n\n### f\n\n*Does f.*'})
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_raw_cell('---\ntitle: T\ndescription: D\n---'),
        nbformat.v4.new_markdown_cell('## A section\n\nSome **bold** prose.'),
        code('#| echo: false\n#| output: asis\nshow_doc(f)', md),
        code('#| include: false\nsecret = 1', nbformat.v4.new_output('stream', name='stdout', text='never shown\n')),
        code('#| echo: false\nprint("only the output")', nbformat.v4.new_output('stream', name='stdout', text='only the output\n')),
        code('#| output: false\nshown_source = 2', nbformat.v4.new_output('stream', name='stdout', text='hidden output\n')),
        code('#| code-fold: true\nfolded = 3'),
        code('#| fig-cap: "A red square"\nsquare()', nbformat.v4.new_output('display_data', {'image/png': png(), 'text/plain': '<Image>'})),
    ])
    nbformat.write(nb, tmp_path/'01_demo.ipynb')
    (tmp_path/'site'/'images').mkdir(parents=True)
    page = build_docs.Page(tmp_path/'01_demo.ipynb', tmp_path/'site')
    with tempfile.TemporaryDirectory() as tmp:
        template = build_docs.write_assets(tmp_path/'site', Path(tmp))
        return build_docs.pandoc(page.markdown(), template, {'pagetitle': 'T', 'sidebar_before': '', 'sidebar_after': '', 'pager': ''})


def test_cell_options_as_quarto_applies_them(tmp_path):
    html = rendered(tmp_path)
    assert '<strong>bold</strong>' in html and 'id="a-section"' in html
    assert 'show_doc' not in html and '#|' not in html                       # echo: false hides the source...
    assert 'target="_blank"' in html and '{target=' not in html              # ...output: asis is Markdown, link attributes read
    assert '<h3 id="f">f</h3>' in html
    assert 'secret' not in html and 'never shown' not in html                # include: false drops the cell
    assert 'only the output' in html and 'print(' not in html                # echo: false keeps the output
    assert 'shown_source' in html and 'hidden output' not in html            # output: false keeps the source
    assert '<details><summary>Code</summary>' in html and 'folded' in html   # code-fold: true
    assert '<figcaption' in html and 'A red square' in html                  # fig-cap makes a figure
    assert (tmp_path/'site'/'images'/'demo-1.png').exists() and 'base64' not in html   # images are files


def test_front_matter_code_spans():
    assert build_docs.inline("`celeba_vae_bench`: a <b> & c") == '<code>celeba_vae_bench</code>: a &lt;b&gt; &amp; c'


def test_options_parsed():
    assert build_docs.cell_options('#| echo: false\n#| fig-cap: "A b"\n#| hide\nx = 1') == ({'echo': False, 'fig-cap': 'A b', 'hide': True}, 'x = 1')
