"""Build the docs site into _docs/ with no Quarto and no network beyond the package registries.

`nbdev_docs` renders the site with Quarto, which cannot be installed on machines with no internet. Quarto is
Pandoc plus filters and a template, so this does what it does with nbdev's output: nbdev's own notebook processing
(hidden cells dropped, `show_doc` cells added and run), then Quarto's step, each code cell's options applied
(`include`, `echo`, `output`, `output: asis`, `code-fold`, `fig-cap`), into Pandoc Markdown, which Pandoc turns into
HTML (its link attributes and fenced divs included) with a template of ours: a sidebar of every chapter and the
current page's sections, client-side search over an index built here, previous/next links, one CSS and one JS file,
images as files beside the pages. The notebooks are the same ones Quarto renders; nothing is forked.

One page nbdev has no equivalent of: latent sliders that run the decoder in the browser with onnxruntime-web
(npm package, vendored into the site), so a reader with no Python kernel can drag them.

    python scripts/build_docs.py                  # needs pandoc; the sliders use runs/docs (trained once: the default run)
    python scripts/build_docs.py --run runs/X     # ... or a run of yours, e.g. on real CelebA
    python scripts/build_docs.py --quick          # a short run, for CI

Serve the result over HTTP (the sliders page loads the decoder with fetch): `python scripts/build_docs.py --no_build --serve`.
"""
import atexit, base64, html, json, os, re, shutil, subprocess, tempfile
from html.parser import HTMLParser
from pathlib import Path

import nbformat
from fastcore.script import call_parse

ROOT = Path(__file__).resolve().parent.parent
ORT_VERSION = '1.30.0'
SLIDERS_PAGE = 'browser_sliders.html' # sliders.html is the Sliders chapter's page


def doc_url() -> str:
    "Where nbdev publishes the docs; links to it become links within this site."
    from nbdev.config import get_config
    cfg = get_config()
    return f"{cfg.doc_host}{cfg.doc_baseurl}/"
ORT_FILES = {'ort.wasm.bundle.min.mjs': 'ort.wasm.bundle.min.js', # renamed: plain servers give .js the JavaScript type
             'ort-wasm-simd-threaded.wasm': 'ort-wasm-simd-threaded.wasm'}


def docs_run(quick:bool) -> Path:
    "A trained run for the sliders: the default run (5 epochs on the synthetic set), or a short one with `quick`."
    from celeba_vae.synth import make_synthetic_celeba
    from celeba_vae.train import TrainConfig, train
    if quick: # made afresh in a temporary folder, never read from a folder a developer may have left behind
        tmp = Path(tempfile.mkdtemp(prefix='celeba_vae-docs-'))
        atexit.register(shutil.rmtree, tmp, ignore_errors=True)
        data = make_synthetic_celeba(tmp/'synthetic-celeba-n3000', n=3000, seed=0)
        return train(TrainConfig(data=str(data), out=str(tmp/'run'), epochs=2, bs=16, limit=2400, cache_dir=str(tmp/'cache')))
    run = ROOT/'runs'/'docs'
    return run if (run/'model.safetensors').exists() else train(TrainConfig(out=str(run)))


def front_matter(nb) -> dict:
    "Title and description that nbdev's processing moved from the notebook's first cell into its front matter."
    import yaml
    raw = next((c.source for c in nb.cells if c.cell_type == 'raw' and c.source.startswith('---')), '---\n---')
    return yaml.safe_load(raw.strip().strip('-')) or {}


def page_name(nb_path:Path) -> str:
    "The page of a notebook, as nbdev names it: 01_celeba.ipynb → celeba.html."
    return re.sub(r'^\d+[a-z]?_', '', nb_path.stem) + '.html'


def cell_options(source:str) -> tuple[dict, str]:
    "The `#| key: value` options at the top of a code cell (a bare `#| flag` is `True`), and the rest of its source."
    opts, lines = {}, source.splitlines()
    while lines and lines[0].startswith('#|'):
        key, _, value = lines.pop(0)[2:].strip().partition(':')
        value = value.strip().strip('"\'')
        opts[key.strip()] = {'true': True, 'false': False, '': True}.get(value.lower(), value)
    return opts, '\n'.join(lines).strip('\n')


def fence(text:str, cls:str='') -> str:
    "`text` as a fenced code block (the fence longer than any run of backticks inside)."
    ticks = '`' * max(3, max((len(m) for m in re.findall(r'`+', text)), default=0) + 1)
    return f"{ticks}{cls}\n{text.rstrip()}\n{ticks}"


class Page:
    "A processed notebook as Pandoc Markdown, with its images written as files under `out/images/`."
    def __init__(self, nb_path:Path, out:Path):
        self.nb, self.name, self.out, self.n_images = nbformat.read(nb_path, as_version=4), page_name(nb_path), out, 0
        self.meta = front_matter(self.nb)

    def image(self, data:str, ext:str, caption:str='') -> str:
        "Write one image output to a file; Markdown for it (a figure with a caption when there is one)."
        self.n_images += 1
        fn = f"images/{self.name[:-5]}-{self.n_images}.{ext}"
        (self.out/fn).write_bytes(base64.b64decode(data))
        return f"![{caption}]({fn})" if caption else f"![]({fn}){{.output-image}}\n"

    def output(self, o, opts:dict) -> str:
        "Markdown for one output of a code cell."
        if o.output_type == 'stream': return f"::: {{.cell-output .{o.name}}}\n{fence(o.text)}\n:::"
        if o.output_type == 'error': return f"::: {{.cell-output .error}}\n{fence(o.ename + ': ' + o.evalue)}\n:::"
        d = o.get('data', {})
        if 'text/markdown' in d and opts.get('output') == 'asis': return d['text/markdown']
        if 'application/vnd.jupyter.widget-view+json' in d:
            return (f"::: {{.cell-output .widget}}\nAn interactive panel: in a live notebook its sliders redraw the face. "
                    f"On this site, [the sliders run in your browser]({SLIDERS_PAGE}).\n:::")
        for mime, ext in (('image/png', 'png'), ('image/jpeg', 'jpg')):
            if mime in d: return f"::: {{.cell-output}}\n{self.image(d[mime], ext, opts.get('fig-cap', ''))}\n:::"
        if 'text/html' in d: return f"::: {{.cell-output}}\n```{{=html}}\n{d['text/html']}\n```\n:::"
        if 'text/markdown' in d: return f"::: {{.cell-output}}\n{d['text/markdown']}\n:::"
        return f"::: {{.cell-output}}\n{fence(d.get('text/plain', ''))}\n:::" if d.get('text/plain') else ''

    def code_cell(self, c) -> str:
        "A code cell as Quarto renders it: options applied, source (maybe folded) and outputs."
        opts, src = cell_options(c.source)
        if opts.get('include') is False: return ''
        parts = []
        if src and opts.get('echo', True) is not False:
            code = fence(src, '{.python}')
            fold = opts.get('code-fold')
            if fold in (True, 'show'): code = f"```{{=html}}\n<details{' open' if fold == 'show' else ''}><summary>Code</summary>\n```\n\n{code}\n\n```{{=html}}\n</details>\n```"
            parts.append(code)
        if opts.get('output', True) is not False: parts += [self.output(o, opts) for o in c.get('outputs', [])]
        parts = [p for p in parts if p]
        if not parts: return ''
        if opts.get('output') == 'asis' and opts.get('echo') is False: return '\n\n'.join(parts)
        return "::: {.cell}\n" + '\n\n'.join(parts) + "\n:::"

    def markdown(self) -> str:
        "The whole page as Pandoc Markdown (links into the published docs made local)."
        body = []
        for c in self.nb.cells:
            if c.cell_type == 'markdown': body.append(c.source)
            elif c.cell_type == 'code': body.append(self.code_cell(c))
        return '\n\n'.join(b for b in body if b).replace(doc_url(), '')


def pandoc(markdown:str, template:Path, variables:dict) -> str:
    "HTML of Pandoc Markdown through our template (table of contents from the headings)."
    args = ['pandoc', '-f', 'markdown-tex_math_dollars-raw_tex', '-t', 'html5', '--template', str(template), '--toc', '--toc-depth=3',
            '--highlight-style=pygments', '--wrap=none', *[f'--variable={k}:{v}' for k, v in variables.items()]]
    return subprocess.run(args, input=markdown, capture_output=True, text=True, check=True).stdout


class Sections(HTMLParser):
    "The text of each headed section of a page, for the search index."
    def __init__(self):
        super().__init__(); self.sections, self.in_main, self.in_heading, self.skip = [], False, None, 0
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == 'main': self.in_main = True
        if not self.in_main: return
        if tag in ('script', 'style'): self.skip += 1
        if tag in ('h1', 'h2', 'h3', 'h4') and 'id' in a: self.in_heading = a['id']; self.sections.append({'id': a['id'], 'title': '', 'text': ''})
    def handle_endtag(self, tag):
        if tag in ('script', 'style') and self.skip: self.skip -= 1
        if tag in ('h1', 'h2', 'h3', 'h4'): self.in_heading = None
        if tag == 'main': self.in_main = False
    def handle_data(self, data):
        if not self.in_main or self.skip or not self.sections: return
        self.sections[-1]['title' if self.in_heading else 'text'] += data


def search_entries(page_html:str, page:str, title:str) -> list[dict]:
    "Search-index entries of one page: one per section (its heading and text, whitespace folded)."
    p = Sections(); p.feed(page_html)
    fold = lambda t: re.sub(r'\s+', ' ', t).strip()
    return [{'page': page, 'title': title, 'section': fold(s['title']), 'href': f"{page}#{s['id']}", 'text': fold(s['text'])[:4000]}
            for s in p.sections]


def sidebar(pages, current:str, toc:str='') -> str:
    "Every chapter, the current one with its sections (`toc`), and the search box."
    items = ''.join(f'<li{" class=current" if f == current else ""}><a href="{html.escape(f)}">{html.escape(t)}</a>'
                    f'{toc if f == current else ""}</li>' for f, t in pages)
    return (f'<nav class="sidebar"><a class="brand" href="index.html">celeba_vae</a>'
            f'<input id="search" type="search" placeholder="Search the docs" aria-label="Search" autocomplete="off">'
            f'<ol id="search-results"></ol><ul class="chapters">{items}</ul></nav>')


def inline(text:str) -> str:
    "HTML of a one-line front-matter text: escaped, with its `code` spans as code."
    return re.sub(r'`([^`]+)`', r'<code>\1</code>', html.escape(text))


def pager(pages, current:str) -> str:
    "Previous and next links."
    names = [f for f, _ in pages]
    i = names.index(current)
    prev = f'<a class="prev" href="{pages[i - 1][0]}">← {html.escape(pages[i - 1][1])}</a>' if i > 0 else '<span></span>'
    nxt = f'<a class="next" href="{pages[i + 1][0]}">{html.escape(pages[i + 1][1])} →</a>' if i + 1 < len(pages) else '<span></span>'
    return f'<nav class="pager">{prev}{nxt}</nav>'


TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>$pagetitle$ · celeba_vae</title><link rel="icon" href="data:,"><link rel="stylesheet" href="site.css"></head>
<body>$sidebar_before$$if(toc)$<nav class="toc" aria-label="On this page">$toc$</nav>$endif$$sidebar_after$
<main><header><h1 class="title">$pagetitle$</h1>$if(description)$<p class="description">$description$</p>$endif$</header>
$body$
$pager$
</main>
<script src="site.js"></script>
</body></html>
"""

SITE_CSS = """
body { margin: 0; font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1f2328; }
.sidebar { position: fixed; top: 0; left: 0; bottom: 0; width: 270px; overflow-y: auto; padding: 1rem; box-sizing: border-box;
           background: #f6f8fa; border-right: 1px solid #d0d7de; font-size: 14px; }
.sidebar .brand { display: block; font-weight: 700; font-size: 18px; color: #1f2328; text-decoration: none; margin-bottom: .6rem; }
.sidebar input { width: 100%; box-sizing: border-box; padding: .35rem .5rem; border: 1px solid #d0d7de; border-radius: 6px; }
#search-results { list-style: none; padding: 0; margin: .3rem 0; } #search-results li { margin: .2rem 0; }
#search-results .where { color: #57606a; font-size: 12px; display: block; }
.chapters { list-style: none; padding: 0; margin: .8rem 0; } .chapters > li { margin: .25rem 0; }
.chapters a { color: #0969da; text-decoration: none; } .chapters > li.current > a { font-weight: 700; color: #1f2328; }
.toc ul { list-style: none; padding-left: .8rem; margin: .2rem 0; } .toc a { color: #57606a; font-size: 13px; }
main { margin-left: 270px; padding: 1.5rem 2.5rem 3rem; max-width: 1000px; }
h1.title { margin-bottom: .2rem; } p.description { font-size: 120%; color: #57606a; font-style: italic; margin-top: 0; }
pre { background: #f6f8fa; padding: .7rem; overflow-x: auto; border-radius: 6px; font-size: 13.5px; line-height: 1.4; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; } p code, li code, td code { background: #eff1f3; padding: .1em .3em; border-radius: 4px; }
.cell { margin: 1rem 0; } .cell-output { overflow-x: auto; } .cell-output pre { background: none; border-left: 3px solid #e6a57e; border-radius: 0; margin: .3rem 0 0 .8rem; }
.cell-output.stderr pre { border-left-color: #cf222e; } .cell-output img { max-width: none; }
.widget { border-left: 3px solid #0969da; padding-left: .8rem; color: #57606a; }
table { border-collapse: collapse; margin: 1rem 0; font-size: 14px; } th, td { border: 1px solid #d0d7de; padding: .3rem .6rem; vertical-align: top; }
hr { border: none; border-top: 1px solid #d0d7de; margin: 2rem 0 1rem; } img { max-width: 100%; }
figure { margin: 1rem 0; } figcaption { color: #57606a; font-size: 14px; }
details > summary { cursor: pointer; color: #57606a; }
.pager { display: flex; justify-content: space-between; margin-top: 3rem; padding-top: 1rem; border-top: 1px solid #d0d7de; }
.pager a { color: #0969da; text-decoration: none; }
"""

SITE_JS = """// Client-side search over search.json (built with the site): every word typed must occur in a section.
(() => {
  const box = document.getElementById('search'), list = document.getElementById('search-results');
  if (!box) return;
  let index = null;
  const load = async () => index || (index = await (await fetch('search.json')).json());
  const esc = s => s.replace(/[&<>"]/g, c => ({'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;'}[c]));
  box.addEventListener('input', async () => {
    const words = box.value.toLowerCase().split(/\\s+/).filter(Boolean);
    if (!words.length) { list.innerHTML = ''; return; }
    const hits = (await load()).filter(e => { const t = (e.section + ' ' + e.text + ' ' + e.title).toLowerCase(); return words.every(w => t.includes(w)); });
    hits.sort((a, b) => words.every(w => b.section.toLowerCase().includes(w)) - words.every(w => a.section.toLowerCase().includes(w)));
    list.innerHTML = hits.slice(0, 12).map(e => `<li><a href="${esc(e.href)}">${esc(e.section || e.title)}</a><span class="where">${esc(e.title)}</span></li>`).join('')
      || '<li class="none">no match</li>';
  });
  box.addEventListener('keydown', e => { const a = list.querySelector('a'); if (e.key === 'Enter' && a) location.href = a.href; });
})();
"""


def write_assets(out:Path, tmp:Path):
    "site.css (ours and Pandoc's code highlighting), site.js, and the page template."
    (tmp/'css.tpl').write_text('$highlighting-css$')
    highlight = subprocess.run(['pandoc', '-f', 'markdown', '-t', 'html5', '--standalone', '--template', str(tmp/'css.tpl'),
                                '--highlight-style=pygments', '--metadata=title:x'], input='```python\nx = 1\n```\n',
                               capture_output=True, text=True, check=True).stdout
    (out/'site.css').write_text(SITE_CSS + highlight)
    (out/'site.js').write_text(SITE_JS)
    (tmp/'page.html').write_text(TEMPLATE)
    return tmp/'page.html'


def vendor_ort(dest:Path):
    "Copy onnxruntime-web's browser files from its npm package into `dest`; the package is installed once, into the cache."
    from celeba_vae.core import cache_root
    prefix = cache_root()/'npm'/f'onnxruntime-web-{ORT_VERSION}'
    dist = prefix/'node_modules'/'onnxruntime-web'/'dist'
    if not all((dist/src).exists() for src in ORT_FILES):
        subprocess.run(['npm', 'install', '--silent', '--no-audit', '--no-fund', '--prefix', str(prefix), f'onnxruntime-web@{ORT_VERSION}'],
                       check=True)
    dest.mkdir(parents=True, exist_ok=True)
    for src, dst in ORT_FILES.items(): shutil.copy(dist/src, dest/dst)


def sliders_page(run:Path, out:Path, pages) -> str:
    "The in-browser sliders page, with the decoder of `run` exported to ONNX and its slider spec beside it."
    from celeba_vae.loaders import CelebA64
    from celeba_vae.sliders import export_decoder_onnx, slider_spec
    from celeba_vae.checkpoint import load_run
    model, cfg = load_run(run)
    valid = CelebA64(cfg.data, 'valid', cfg.cache_dir)
    (out/'assets').mkdir(exist_ok=True)
    export_decoder_onnx(model, out/'assets'/'decoder.onnx')
    spec = slider_spec(model, valid)
    spec['about'] = f"{cfg.epochs} epochs on {Path(cfg.data).name}"
    (out/'assets'/'sliders.json').write_text(json.dumps(spec))
    synthetic = 'synthetic' in Path(cfg.data).name
    about = (f"The decoder of a model trained {html.escape(spec['about'])}: <b>synthetic faces drawn by this project, "
             "not real CelebA</b>. To redo it on real CelebA: <code>celeba_vae_train --data ~/data/celeba --out runs/celeba "
             "&amp;&amp; python scripts/build_docs.py --run runs/celeba</code>.") if synthetic else \
            f"The decoder of a model trained {html.escape(spec['about'])}."
    return SLIDERS_HTML.replace('{STYLE}', '<link rel="icon" href="data:,"><link rel="stylesheet" href="site.css">').replace('{NAV}', sidebar(pages, SLIDERS_PAGE)).replace('{ABOUT}', about)

SLIDERS_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Latent sliders · celeba_vae</title>{STYLE}
<style>
.panel { display: flex; gap: 2rem; align-items: flex-start; }
#face { width: 256px; height: 256px; image-rendering: pixelated; border: 1px solid #ccc; }
.row { display: flex; align-items: center; gap: .5rem; margin: .15rem 0; }
.row label { width: 9rem; text-align: right; font-size: 90%; } .row output { width: 3rem; font-size: 90%; }
h3 { margin: .6rem 0 .2rem; font-size: 100%; }
</style></head>
<body>{NAV}<main>
<h1>Latent sliders, in your browser</h1>
<p>Drag a slider and the face is decoded again, here in the page: the VAE's decoder runs with onnxruntime-web, no Python needed.
The first sliders move the latent dimensions that carry the most information (highest KL); the attribute sliders add
attribute vectors (mean code of faces with the attribute minus without); the temperature scales the rest of the code.</p>
<p>{ABOUT}</p>
<div class="panel"><div><canvas id="face" width="64" height="64"></canvas><br><button id="new">new random face</button>
<p id="status">loading the decoder…</p></div><div id="controls"></div></div>
</main>
<script src="site.js"></script>
<script type="module">
import * as ort from './vendor/ort/ort.wasm.bundle.min.js';
ort.env.wasm.wasmPaths = {wasm: new URL('vendor/ort/ort-wasm-simd-threaded.wasm', location.href).href}; // the glue is in the bundle
ort.env.wasm.numThreads = 1;
const status = document.getElementById('status'), controls = document.getElementById('controls');
const canvas = document.getElementById('face'), ctx = canvas.getContext('2d');
try {
  const spec = await (await fetch('assets/sliders.json')).json();
  const session = await ort.InferenceSession.create('assets/decoder.onnx', {executionProviders: ['wasm']});
  let codeIdx = 0, base = Float32Array.from(spec.codes[0]);
  const slider = (parent, id, label, value, min, max) => {
    const row = document.createElement('div'); row.className = 'row';
    row.innerHTML = `<label for="${id}">${label}</label><input type="range" id="${id}" min="${min}" max="${max}" step="0.05" value="${value}"><output>${(+value).toFixed(2)}</output>`;
    parent.appendChild(row);
    const input = row.querySelector('input');
    input.addEventListener('input', () => { row.querySelector('output').textContent = (+input.value).toFixed(2); draw(); });
    return input;
  };
  const heading = text => { const h = document.createElement('h3'); h.textContent = text; controls.appendChild(h); };
  heading('top latent dimensions (by KL)');
  const dimInputs = spec.dims.map(d => slider(controls, `dim-${d}`, `z[${d}]`, base[d], -3, 3));
  const names = Object.keys(spec.attributes);
  if (names.length) heading('attribute vectors');
  const attrInputs = names.map(a => slider(controls, `attr-${a}`, a.replace(/_/g, ' '), 0, -3, 3));
  heading('temperature');
  const temperature = slider(controls, 'temperature', 'temperature', 1, 0, 2);
  const code = () => {
    const z = base.map(v => v * +temperature.value);
    spec.dims.forEach((d, i) => { z[d] = +dimInputs[i].value; });
    names.forEach((a, i) => { const s = +attrInputs[i].value; spec.attributes[a].forEach((v, j) => { z[j] += s * v; }); });
    return z;
  };
  let busy = false, again = false, draws = 0;
  async function draw() {
    if (busy) { again = true; return; }
    busy = true;
    const out = await session.run({z: new ort.Tensor('float32', code(), [1, spec.latent_dim])});
    const px = out.image.data, img = ctx.createImageData(64, 64);
    for (let i = 0; i < 64 * 64; i++) {
      for (let c = 0; c < 3; c++) img.data[4 * i + c] = Math.round(Math.min(1, Math.max(0, (px[c * 4096 + i] + 1) / 2)) * 255);
      img.data[4 * i + 3] = 255;
    }
    ctx.putImageData(img, 0, 0);
    document.body.dataset.draws = ++draws;
    busy = false;
    if (again) { again = false; draw(); }
  }
  document.getElementById('new').addEventListener('click', () => {
    codeIdx = (codeIdx + 1) % spec.codes.length; base = Float32Array.from(spec.codes[codeIdx]);
    spec.dims.forEach((d, i) => { dimInputs[i].value = base[d]; dimInputs[i].nextElementSibling.textContent = base[d].toFixed(2); });
    draw();
  });
  await draw();
  status.textContent = `decoder ready: ${spec.about}`;
  document.body.dataset.ready = '1';
} catch (e) { status.textContent = `could not start the decoder: ${e}`; console.error(e); }
</script></body></html>
"""


def build_docs(out:Path, run:Path|None=None, quick:bool=False) -> Path:
    "Build the whole site into `out`."
    from nbdev.serve import proc_nbs
    run = Path(run) if run else docs_run(quick)
    if out.exists(): shutil.rmtree(out)
    (out/'images').mkdir(parents=True)
    cache = proc_nbs()
    nbs = sorted((p for p in cache.glob('*.ipynb') if not p.name.startswith('_')), key=lambda p: (p.stem != 'index', p.stem))
    docs = [Page(p, out) for p in nbs]
    title = lambda d: 'Home' if d.name == 'index.html' else d.meta.get('title', d.name)
    pages = [(d.name, title(d)) for d in docs] + [(SLIDERS_PAGE, 'Sliders in the browser')]
    index = []
    with tempfile.TemporaryDirectory() as tmp:
        template = write_assets(out, Path(tmp))
        for d in docs:
            before, after = sidebar(pages, d.name, '\x00').split('\x00')
            page = pandoc(d.markdown(), template, {'pagetitle': d.meta.get('title', 'celeba_vae'), 'description': inline(d.meta.get('description', '')),
                                                   'sidebar_before': before, 'sidebar_after': after, 'pager': pager(pages, d.name)})
            (out/d.name).write_text(page, encoding='utf-8')
            index += search_entries(page, d.name, title(d))
            print(f"wrote {out/d.name}")
    shutil.copytree(ROOT/'nbs'/'images', out/'images', dirs_exist_ok=True) # pictures the pages link to
    (out/'search.json').write_text(json.dumps(index))
    vendor_ort(out/'vendor'/'ort')
    (out/SLIDERS_PAGE).write_text(sliders_page(run, out, pages), encoding='utf-8')
    print(f"wrote {out/SLIDERS_PAGE} (decoder of {run})")
    return out


def serve_site(out:Path, port:int=8000):
    "Serve `out` on localhost."
    import functools, http.server
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(out))
    handler.func.extensions_map = {**handler.func.extensions_map, '.wasm': 'application/wasm', '.js': 'text/javascript'}
    print(f"serving {out} at http://127.0.0.1:{port}/")
    http.server.ThreadingHTTPServer(('127.0.0.1', port), handler).serve_forever()


@call_parse
def main(out:str='_docs', # folder to write the site into
         run:str=None, # run whose decoder the sliders page uses (default: runs/docs, trained once)
         quick:bool=False, # use a short run instead of the default one (for CI)
         serve:bool=False, # serve the site on localhost afterwards
         no_build:bool=False, # only serve an already built site
         port:int=8000, # port for serving
        ):
    "Build the docs site offline."
    if not shutil.which('pandoc'): raise SystemExit("error: pandoc is needed to render the pages: apt-get install pandoc (or brew install pandoc)")
    out = Path(out) if Path(out).is_absolute() else ROOT/out
    os.chdir(ROOT)
    if not no_build: build_docs(out, run, quick)
    if serve or no_build: serve_site(out, port)
