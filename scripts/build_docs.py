"""Build the docs site into _docs/ with no Quarto and no network beyond the package registries.

`nbdev_docs` renders the site with Quarto, which cannot be installed on machines with no internet.
This builds the same pages offline: nbdev's own notebook processing (hidden cells dropped, directives
removed, `show_doc` rendered), nbconvert to HTML with every image embedded, a navigation bar, and one
page nbdev has no equivalent of: latent sliders that run the decoder in the browser with onnxruntime-web
(npm package, vendored into the site), so a reader with no Python kernel can drag them.

    python scripts/build_docs.py                  # the sliders use runs/docs (trained once: the default run)
    python scripts/build_docs.py --run runs/X     # ... or a run of yours, e.g. on real CelebA
    python scripts/build_docs.py --quick          # a short run, for CI

Serve the result over HTTP (the sliders page loads the decoder with fetch): `python scripts/build_docs.py --no_build --serve`.
"""
import html, json, os, re, shutil, subprocess, tempfile
from pathlib import Path

import nbformat
from fastcore.script import call_parse
from nbconvert import HTMLExporter

ROOT = Path(__file__).resolve().parent.parent
ORT_VERSION = '1.30.0'
SLIDERS_PAGE = 'browser_sliders.html' # sliders.html is the Sliders chapter's page
ORT_FILES = {'ort.wasm.bundle.min.mjs': 'ort.wasm.bundle.min.js', # renamed: plain servers give .js the JavaScript type
             'ort-wasm-simd-threaded.wasm': 'ort-wasm-simd-threaded.wasm'}


def docs_run(quick:bool) -> Path:
    "A trained run for the sliders: the default run (5 epochs on the synthetic set), or a short one with `quick`."
    from celeba_vae.synth import make_synthetic_celeba
    from celeba_vae.train import TrainConfig, train
    run = ROOT/'runs'/('docs-quick' if quick else 'docs')
    if (run/'model.safetensors').exists(): return run
    if quick:
        data = ROOT/'runs'/'synthetic-celeba-n3000'
        if not data.exists(): make_synthetic_celeba(data, n=3000, seed=0)
        return train(TrainConfig(data=str(data), out=str(run), epochs=2, bs=16, limit=2400))
    return train(TrainConfig(out=str(run)))


def front_matter(nb) -> dict:
    "Title and description that nbdev's processing moved from the notebook's first cell into its front matter."
    import yaml
    raw = next((c.source for c in nb.cells if c.cell_type == 'raw' and c.source.startswith('---')), '---\n---')
    return yaml.safe_load(raw.strip().strip('-')) or {}


def nav_html(pages, current) -> str:
    links = ' '.join(f'<a href="{html.escape(f)}"{" class=here" if f == current else ""}>{html.escape(t)}</a>' for f, t in pages)
    return f'<nav class="site-nav"><b>celeba_vae</b> {links}</nav>'

STYLE = """<link rel="icon" href="data:,">
<style>
.site-nav { position: sticky; top: 0; z-index: 10; background: #2c3e50; padding: .6rem 1rem; font-family: sans-serif; }
.site-nav b { color: #fff; margin-right: 1rem; }
.site-nav a { color: #ecf0f1; margin-right: .9rem; text-decoration: none; }
.site-nav a.here { text-decoration: underline; }
</style>"""


def _inject_nav(body, pages, fname):
    "Add the site's style and navigation bar to an HTML page."
    body = body.replace('</head>', STYLE + '</head>', 1)
    m = re.search(r'<body[^>]*>', body)
    return body[:m.end()] + nav_html(pages, fname) + body[m.end():]


def vendor_ort(dest:Path):
    "Copy onnxruntime-web's browser files from its npm package into `dest`."
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(['npm', 'install', '--silent', '--no-audit', '--no-fund', '--prefix', tmp, f'onnxruntime-web@{ORT_VERSION}'],
                       check=True)
        dist = Path(tmp)/'node_modules'/'onnxruntime-web'/'dist'
        dest.mkdir(parents=True, exist_ok=True)
        for src, dst in ORT_FILES.items(): shutil.copy(dist/src, dest/dst)


def sliders_page(run:Path, out:Path, pages) -> str:
    "The in-browser sliders page, with the decoder of `run` exported to ONNX and its slider spec beside it."
    from celeba_vae.loaders import CelebA64
    from celeba_vae.sliders import export_decoder_onnx, slider_spec
    from celeba_vae.train import load_run
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
    return SLIDERS_HTML.replace('{STYLE}', STYLE).replace('{NAV}', nav_html(pages, SLIDERS_PAGE)).replace('{ABOUT}', about)

SLIDERS_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Latent sliders · celeba_vae</title>{STYLE}
<style>
body { font-family: sans-serif; margin: 0; } main { padding: 1rem 2rem; max-width: 1000px; }
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
    out.mkdir(parents=True)
    cache = proc_nbs()
    nbs = sorted(p for p in cache.glob('*.ipynb') if not p.name.startswith('_'))
    nbs = sorted(nbs, key=lambda p: (p.stem != 'index', p.stem))
    fname = lambda p: re.sub(r'^\d+[a-z]?_', '', p.stem) + '.html' # as nbdev names the pages: 01_celeba.ipynb → celeba.html
    titles = {p: front_matter(nbformat.read(p, as_version=4)).get('title', p.stem) for p in nbs}
    pages = [(fname(p), 'Home' if p.stem == 'index' else titles[p]) for p in nbs] + [(SLIDERS_PAGE, 'Sliders in the browser')]
    for p in nbs:
        (out/fname(p)).write_text(_inject_nav(notebook_page_html(p), pages, fname(p)), encoding='utf-8')
        print(f"wrote {out/fname(p)}")
    if (ROOT/'nbs'/'images').exists(): shutil.copytree(ROOT/'nbs'/'images', out/'images') # pictures the pages link to
    vendor_ort(out/'vendor'/'ort')
    (out/SLIDERS_PAGE).write_text(sliders_page(run, out, pages), encoding='utf-8')
    print(f"wrote {out/SLIDERS_PAGE} (decoder of {run})")
    return out


def notebook_page_html(nb_path:Path) -> str:
    "A processed notebook as standalone HTML, every image embedded, no scripts from the network."
    nb = nbformat.read(nb_path, as_version=4)
    fm = front_matter(nb)
    nb.cells = [c for c in nb.cells if c.cell_type != 'raw'] # front matter is for Quarto: shown as a title instead
    nb.cells.insert(0, nbformat.v4.new_markdown_cell(f"# {fm.get('title', nb_path.stem)}\n\n> {fm.get('description', '')}"))
    nb.metadata.pop('widgets', None) # no saved widget state to render; its renderer would come from a CDN
    body, _ = HTMLExporter(template_name='lab', exclude_input_prompt=True, exclude_output_prompt=True).from_notebook_node(nb)
    body = re.sub(r'<script[^>]*\bsrc="https?://[^"]*"[^>]*>\s*</script>', '', body)
    return re.sub(r'<link[^>]*\bhref="https?://[^"]*"[^>]*>', '', body)


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
    out = Path(out) if Path(out).is_absolute() else ROOT/out
    os.chdir(ROOT)
    if not no_build: build_docs(out, run, quick)
    if serve or no_build: serve_site(out, port)
