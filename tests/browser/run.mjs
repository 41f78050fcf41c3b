#!/usr/bin/env node
// apparat — browser test tier.
//
//   node run.mjs SITE_DIR [--base-path /repo/] [--shots DIR] [--skip vnu,axe,keyboard,sidenotes,layout,shots,search,lighthouse]
//
// Serves a built edition GitHub-Pages-style under a sub-path on 127.0.0.1 and checks, for every
// HTML page: axe-core in headless Chromium (desktop light and dark, phone) → zero violations; the Nu
// Html Checker (vnu-jar) → zero errors; no console error, no uncaught exception, no failed
// request, no request leaving 127.0.0.1; no horizontal scrolling at 390 and 320 px; keyboard
// (Tab reaches every note call and every index link; a note opened by keyboard closes with
// Escape); without JavaScript, a targeted note shows in place. Sidenotes of the article at
// 1280 and 1440 px: level with their calls or stacked, never overlapping (distances printed).
// Screenshots at 1280×900 and 390×844 go to --shots, $APPARAT_SHOTS or tests/browser/shots/.
// Layout forced by the page's scripts (layout.mjs): on the article used (a note opened and
// closed, a resize), the home and search pages, no script line forces layout or style more than
// four times and at most four layouts are forced in all (a loop over the notes used to force one
// per note: 250–770 ms of blocking time). Lighthouse 12 (desktop and mobile) on the home page, the
// article (best of up to three runs) and three times per preset on the article while two busy
// processes load the CPU: accessibility, best practices and SEO 100 in every run; performance
// (target ≥ 95) and total blocking time (target ≤ 50 ms, worst run under load) are timings and
// are reported, gated only with APPARAT_LH_GATE_PERFORMANCE=1. Page weight of the article
// (every resource, gzip estimate) < 150 KB.
// Prints one line per failure and ends with `browser: N passed, M failed`; exit 1 on failure.
//
// Env: CHROME_PATH (default /usr/bin/chromium), APPARAT_SHOTS, APPARAT_ARTICLE (default
// paris-1978/), APPARAT_SKIP (same as --skip), APPARAT_VERBOSE=1 (print passed checks too),
// JAVA (default java), APPARAT_LH_RUNS (article runs per preset, default 3), APPARAT_LH_LOAD
// (busy processes during those runs, default 2), APPARAT_LH_LOADED=0 (no runs under load),
// APPARAT_LH_GATE_PERFORMANCE=1 (gate Lighthouse's timings too).
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import zlib from 'node:zlib';
import os from 'node:os';
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { measureSidenotes, summary as summarize } from './sidenotes.mjs';
import { forcedLayouts, useArticle, useSearch, problems as layoutProblems, describe as describeForced } from './layout.mjs';

const require = createRequire(import.meta.url);
const HERE = path.dirname(fileURLToPath(import.meta.url));

// ---------------------------------------------------------------- arguments

const argv = process.argv.slice(2);
let siteArg = null;
let basePath = '/repo/';
let shotsDir = process.env.APPARAT_SHOTS || path.join(HERE, 'shots');
let skip = new Set((process.env.APPARAT_SKIP || '').split(',').map((s) => s.trim()).filter(Boolean));
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === '--base-path') basePath = argv[++i];
  else if (a === '--shots') shotsDir = argv[++i];
  else if (a === '--skip') for (const s of argv[++i].split(',')) skip.add(s.trim());
  else if (a === '-h' || a === '--help') {
    console.log('usage: node run.mjs SITE_DIR [--base-path /repo/] [--shots DIR] [--skip vnu,axe,keyboard,sidenotes,layout,shots,search,lighthouse]');
    process.exit(0);
  } else if (!siteArg) siteArg = a;
  else { console.error(`run.mjs: unexpected argument ${a}`); process.exit(2); }
}
if (!siteArg || !fs.existsSync(path.join(siteArg, 'index.html'))) {
  console.error('run.mjs: give the built site folder (with index.html) as first argument');
  process.exit(2);
}
const SITE = fs.realpathSync(siteArg);
if (!basePath.startsWith('/')) basePath = '/' + basePath;
if (!basePath.endsWith('/')) basePath += '/';
const BASE = basePath;
const CHROME = process.env.CHROME_PATH || '/usr/bin/chromium';
const ARTICLE = (process.env.APPARAT_ARTICLE || 'paris-1978/').replace(/^\/+/, '');
const WEIGHT_LIMIT = 150 * 1024;
// Lighthouse: accessibility, best practices and SEO do not depend on the machine's speed and are
// gated at 100. Performance and total blocking time are timings: on a shared 2-core machine the
// same build scored 66 to 100 and blocked 0 to 3,000 ms from run to run (CI, stop 25), so they are
// reported against their targets (issue 17), never gated by default; what the page's scripts
// control is gated by the layout pass above, which counts instead of timing.
// APPARAT_LH_GATE_PERFORMANCE=1 gates them too (a dedicated, quiet machine).
const LH_MIN = { accessibility: 100, 'best-practices': 100, seo: 100 };
const LH_TARGET = { performance: 95 };
const LH_TARGET_TBT = 50;
const LH_GATE_PERFORMANCE = process.env.APPARAT_LH_GATE_PERFORMANCE === '1';

// ---------------------------------------------------------------- results

let passed = 0;
let failed = 0;
const failures = [];
const VERBOSE = process.env.APPARAT_VERBOSE === '1';
function check(name, ok, detail = '') {
  if (ok) {
    passed++;
    if (VERBOSE) console.log(`ok   ${name}`);
  }
  else {
    failed++;
    failures.push(name);
    console.log(`FAIL ${name}${detail ? `: ${detail}` : ''}`);
  }
  return ok;
}
const info = (s) => console.log(s);
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;

// ---------------------------------------------------------------- server (GitHub Pages-like)

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.js': 'application/javascript; charset=utf-8', '.mjs': 'application/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8', '.xml': 'application/xml; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8', '.md': 'text/markdown; charset=utf-8',
  '.bib': 'text/plain; charset=utf-8', '.svg': 'image/svg+xml', '.png': 'image/png',
  '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.gif': 'image/gif', '.webp': 'image/webp',
  '.avif': 'image/avif', '.ico': 'image/x-icon', '.woff': 'font/woff', '.woff2': 'font/woff2',
  '.ttf': 'font/ttf', '.otf': 'font/otf', '.pdf': 'application/pdf',
  '.webmanifest': 'application/manifest+json',
};
const COMPRESSIBLE = /^(text\/|application\/(javascript|json|xml|manifest)|image\/svg)/;
const statOf = (p) => { try { return fs.statSync(p); } catch { return null; } };

function serveFile(req, res, status, file) {
  const type = TYPES[path.extname(file).toLowerCase()] || 'application/octet-stream';
  let bodyBuf = fs.readFileSync(file);
  const headers = { 'Content-Type': type, 'Cache-Control': 'max-age=600' };
  if (COMPRESSIBLE.test(type) && /\bgzip\b/.test(req.headers['accept-encoding'] || '') && bodyBuf.length > 256) {
    bodyBuf = zlib.gzipSync(bodyBuf);
    headers['Content-Encoding'] = 'gzip';
    headers.Vary = 'Accept-Encoding';
  }
  headers['Content-Length'] = bodyBuf.length;
  res.writeHead(status, headers);
  res.end(req.method === 'HEAD' ? undefined : bodyBuf);
}

function notFound(req, res) {
  const custom = path.join(SITE, '404.html');
  if (statOf(custom)?.isFile()) return serveFile(req, res, 404, custom);
  res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
  return res.end('404 Not Found\n');
}

const server = http.createServer((req, res) => {
  if (req.method !== 'GET' && req.method !== 'HEAD') { res.writeHead(405); return res.end(); }
  let url;
  let pathname;
  try { url = new URL(req.url, 'http://127.0.0.1'); pathname = decodeURIComponent(url.pathname); } catch {
    res.writeHead(400); return res.end();
  }
  if (pathname === BASE.slice(0, -1)) { res.writeHead(301, { Location: BASE }); return res.end(); }
  if (!pathname.startsWith(BASE)) return notFound(req, res);
  const rel = pathname.slice(BASE.length);
  const target = path.resolve(SITE, '.' + path.sep + rel);
  if (target !== SITE && !target.startsWith(SITE + path.sep)) return notFound(req, res);
  const st = statOf(target);
  if (st?.isDirectory()) {
    if (!url.pathname.endsWith('/')) { res.writeHead(301, { Location: url.pathname + '/' }); return res.end(); }
    const idx = path.join(target, 'index.html');
    return statOf(idx)?.isFile() ? serveFile(req, res, 200, idx) : notFound(req, res);
  }
  if (st?.isFile()) return serveFile(req, res, 200, target);
  if (!rel.endsWith('/') && statOf(target + '.html')?.isFile()) return serveFile(req, res, 200, target + '.html');
  return notFound(req, res);
});
server.keepAliveTimeout = 2000;
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const ORIGIN = `http://127.0.0.1:${server.address().port}`;
info(`serving ${SITE} at ${ORIGIN}${BASE}`);

// ---------------------------------------------------------------- pages

function htmlFiles(dir, rel = '') {
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (e.name.startsWith('.') || e.name === 'node_modules') continue;
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...htmlFiles(path.join(dir, e.name), r));
    else if (/\.html$/.test(e.name)) out.push(r);
  }
  return out.sort();
}
const pages = htmlFiles(SITE).map((rel) => {
  const urlPath = BASE + rel.replace(/(^|\/)index\.html$/, '$1');
  const slug = rel.replace(/\/?index\.html$/, '').replace(/\.html$/, '').replace(/\//g, '__') || 'home';
  return { rel, url: ORIGIN + urlPath, path: urlPath, slug };
});
info(`${pages.length} HTML pages`);

const cleanup = [];
async function finish(code) {
  for (const f of cleanup.reverse()) { try { await f(); } catch { /* already gone */ } }
  server.close();
  console.log(`browser: ${passed} passed, ${failed} failed`);
  process.exit(code ?? (failed ? 1 : 0));
}
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { failed++; finish(1); });

// server behaviour: a missing page answers 404 with the site's 404 page
{
  const r = await fetch(`${ORIGIN}${BASE}no-such-page/`);
  const body = await r.text();
  check('server: missing page → 404 with 404.html', r.status === 404 && /<html/i.test(body), `status ${r.status}`);
}

// ---------------------------------------------------------------- vnu

if (!skip.has('vnu')) {
  const jar = String(require('vnu-jar'));
  const files = pages.map((p) => path.join(SITE, p.rel));
  const r = spawnSync(process.env.JAVA || 'java', ['-Xss1024k', '-jar', jar, '--format', 'json', '--exit-zero-always', ...files],
    { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  let out = null;
  try { out = JSON.parse(r.stderr || r.stdout); } catch { /* reported below */ }
  if (!check('vnu: ran', !!out, r.error ? String(r.error) : (r.stderr || '').slice(0, 300))) {
    // nothing more to say
  } else {
    const perFile = new Map(pages.map((p) => [p.rel, []]));
    let warnings = 0;
    for (const m of out.messages || []) {
      let rel = null;
      try { rel = path.relative(SITE, decodeURIComponent(new URL(m.url).pathname)).split(path.sep).join('/'); } catch { /* */ }
      if (m.type === 'error' || m.type === 'non-document-error') perFile.get(rel)?.push(m) ?? perFile.set(rel, [m]);
      else if (m.subType === 'warning') warnings++;
    }
    for (const [rel, errs] of perFile) {
      check(`vnu ${rel}`, errs.length === 0,
        errs.slice(0, 5).map((m) => `${m.lastLine ?? '?'}:${m.firstColumn ?? '?'} ${m.message}`).join(' | '));
    }
    info(`vnu ${out.version ?? ''}: ${files.length} files, ${[...perFile.values()].reduce((a, e) => a + e.length, 0)} errors, ${warnings} warnings`);
  }
}

// ---------------------------------------------------------------- browser

const { chromium } = await import('playwright-core');
const CHROME_FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
];
function smallShm() {
  try {
    const out = spawnSync('df', ['-Pk', '/dev/shm'], { encoding: 'utf8' }).stdout.trim().split('\n').pop().split(/\s+/);
    return Number(out[3]) < 1024 * 1024;
  } catch { return true; }
}
if (smallShm()) CHROME_FLAGS.push('--disable-dev-shm-usage');

const browser = await chromium.launch({ executablePath: CHROME, headless: true, args: CHROME_FLAGS, timeout: 60000 });
cleanup.push(() => browser.close());
const chromeVersion = browser.version();
info(`chromium ${chromeVersion}`);
const MOBILE_UA = `Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${chromeVersion.split('.')[0]}.0.0.0 Mobile Safari/537.36`;
const DESKTOP = { viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 };
const MOBILE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, isMobile: true, hasTouch: true, userAgent: MOBILE_UA };
const axeSource = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
if (!skip.has('shots')) fs.mkdirSync(shotsDir, { recursive: true });

const isLocal = (u) => {
  try { return new URL(u).hostname === '127.0.0.1'; } catch { return true; }
};

function instrument(page) {
  const rec = { console: [], errors: [], failed: [], external: [], loaded: new Map() };
  page.on('console', (m) => { if (m.type() === 'error') rec.console.push(m.text().slice(0, 300)); });
  page.on('pageerror', (e) => rec.errors.push(String(e?.message || e).slice(0, 300)));
  page.on('request', (r) => {
    const u = r.url();
    if (/^(https?|wss?):/.test(u) && !isLocal(u)) rec.external.push(u.slice(0, 200));
  });
  page.on('requestfailed', (r) => rec.failed.push(`${r.url().replace(ORIGIN, '')} (${r.failure()?.errorText || 'failed'})`));
  page.on('response', (resp) => {
    const u = resp.url();
    if (resp.status() >= 400) rec.failed.push(`${u.replace(ORIGIN, '')} (HTTP ${resp.status()})`);
    else if (u.startsWith(ORIGIN)) rec.loaded.set(u.replace(/#.*$/, ''), resp.request().resourceType());
  });
  return rec;
}

async function open(ctx, url) {
  const page = await ctx.newPage();
  const rec = instrument(page);
  const resp = await page.goto(url, { waitUntil: 'load', timeout: 45000 });
  await page.waitForLoadState('networkidle', { timeout: 5000 }).catch(() => {});
  return { page, rec, status: resp?.status() ?? 0 };
}

async function axe(page) {
  await page.evaluate(axeSource);
  return page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => `${v.id} (${v.impact}, ${v.nodes.length}×: ${v.nodes.slice(0, 2).map((n) => n.target.join(' ')).join(', ')})`);
  });
}

function sizeOf(url) {
  // a loaded URL → the file the server sent
  const u = new URL(url);
  let p = decodeURIComponent(u.pathname);
  if (!p.startsWith(BASE)) return null;
  let f = path.join(SITE, p.slice(BASE.length));
  if (statOf(f)?.isDirectory()) f = path.join(f, 'index.html');
  if (!statOf(f)?.isFile()) return null;
  const buf = fs.readFileSync(f);
  return { bytes: buf.length, gzip: zlib.gzipSync(buf, { level: 9 }).length };
}

const overflow = (page) => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);

// the 404 page, served for a missing URL at any depth, still finds its stylesheets and script
{
  const ctx = await browser.newContext(DESKTOP);
  try {
    const page = await ctx.newPage();
    const rec = instrument(page);
    const resp = await page.goto(`${ORIGIN}${BASE}no/such/deep/page/`, { waitUntil: 'load' });
    await page.waitForLoadState('networkidle', { timeout: 5000 }).catch(() => {});
    const styled = [...rec.loaded.keys()].some((u) => u.endsWith('/assets/style.css'))
      && [...rec.loaded.keys()].some((u) => u.endsWith('/assets/apparat.js'));
    const failedSub = rec.failed.filter((f) => !f.startsWith(`${BASE}no/such/deep/page/`));
    check('404 page at depth: status 404, its resources load', resp?.status() === 404 && styled && failedSub.length === 0
      && rec.console.filter((c) => !/404/.test(c)).length === 0, [...failedSub, ...rec.console].join(' | '));
  } catch (e) {
    check('404 page at depth', false, e.message.split('\n')[0]);
  } finally { await ctx.close(); }
}

for (const p of pages) {
  // desktop
  const dctx = await browser.newContext(DESKTOP);
  try {
    const { page, rec, status } = await open(dctx, p.url);
    check(`load ${p.path}`, status === 200, `HTTP ${status}`);
    if (!skip.has('axe')) {
      const v = await axe(page);
      check(`axe 1280 ${p.path}`, v.length === 0, v.join('; '));
    }
    if (!skip.has('shots')) await page.screenshot({ path: path.join(shotsDir, `${p.slug}.desktop.png`), fullPage: true });
    if (!skip.has('axe')) {
      // the dark theme too (colour contrast)
      await page.emulateMedia({ colorScheme: 'dark' });
      const v = await axe(page);
      check(`axe 1280 dark ${p.path}`, v.length === 0, v.join('; '));
      await page.emulateMedia({ colorScheme: 'light' });
    }
    check(`console ${p.path}`, rec.console.length === 0 && rec.errors.length === 0, [...rec.console, ...rec.errors].join(' | '));
    check(`requests ${p.path}`, rec.failed.length === 0, rec.failed.join(' | '));
    check(`local-only ${p.path}`, rec.external.length === 0, rec.external.join(' | '));
    if (p.rel === `${ARTICLE}index.html`) {
      let bytes = 0;
      let gzip = 0;
      for (const u of rec.loaded.keys()) {
        const s = sizeOf(u);
        if (s) { bytes += s.bytes; gzip += s.gzip; }
      }
      info(`page weight ${p.path}: ${rec.loaded.size} resources, ${kb(bytes)} raw, ${kb(gzip)} gzip`);
      check(`weight ${p.path} < ${kb(WEIGHT_LIMIT)} (gzip)`, gzip < WEIGHT_LIMIT, kb(gzip));
    }
    await page.close();
  } catch (e) {
    check(`desktop ${p.path}`, false, e.message.split('\n')[0]);
  } finally { await dctx.close(); }

  // phone
  const mctx = await browser.newContext(MOBILE);
  try {
    const { page, rec } = await open(mctx, p.url);
    const o = await overflow(page);
    check(`no horizontal scroll 390 ${p.path}`, o <= 0, `${o}px wider than the viewport`);
    if (!skip.has('axe')) {
      const v = await axe(page);
      check(`axe 390 ${p.path}`, v.length === 0, v.join('; '));
    }
    if (!skip.has('shots')) await page.screenshot({ path: path.join(shotsDir, `${p.slug}.mobile.png`), fullPage: true });
    await page.setViewportSize({ width: 320, height: 640 });
    await page.waitForTimeout(50);
    const o320 = await overflow(page);
    check(`no horizontal scroll 320 ${p.path}`, o320 <= 0, `${o320}px wider than the viewport`);
    check(`console (phone) ${p.path}`, rec.console.length === 0 && rec.errors.length === 0, [...rec.console, ...rec.errors].join(' | '));
    check(`requests (phone) ${p.path}`, rec.failed.length === 0 && rec.external.length === 0, [...rec.failed, ...rec.external].join(' | '));
    await page.close();
  } catch (e) {
    check(`phone ${p.path}`, false, e.message.split('\n')[0]);
  } finally { await mctx.close(); }
}

// ---------------------------------------------------------------- keyboard

// Tab from the top of the page until focus has gone round once; returns the set of
// marked targets reached.
async function tabThrough(page, selector) {
  const total = await page.evaluate((sel) => {
    document.querySelectorAll('[data-kbd]').forEach((el) => el.removeAttribute('data-kbd'));
    const els = [...document.querySelectorAll(sel)];
    els.forEach((el, i) => el.setAttribute('data-kbd', String(i)));
    return { targets: els.length, focusables: document.querySelectorAll('a[href], button, summary, [tabindex]:not([tabindex="-1"]), input, select, textarea').length };
  }, selector);
  await page.evaluate(() => { document.activeElement?.blur?.(); window.scrollTo(0, 0); });
  const reached = new Set();
  const limit = total.focusables + 40;
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press('Tab');
    const k = await page.evaluate(() => {
      const a = document.activeElement;
      if (!a || a === document.body) return '#body';
      return a.getAttribute('data-kbd') ?? (a.classList.contains('skip') ? '#skip' : '');
    });
    if (k === '#body' || (k === '#skip' && i > 0)) break;
    if (k && !k.startsWith('#')) reached.add(k);
    if (reached.size === total.targets) break;
  }
  return { reached: reached.size, targets: total.targets };
}

if (!skip.has('keyboard')) {
  for (const p of pages) {
    const ctx = await browser.newContext(DESKTOP);
    try {
      const { page } = await open(ctx, p.url);
      const has = await page.evaluate(() => ({
        calls: document.querySelectorAll('a.noteref').length,
        index: document.querySelectorAll('.index a[href]').length,
      }));
      if (has.calls) {
        const r = await tabThrough(page, 'a.noteref');
        check(`keyboard: Tab reaches every note call ${p.path}`, r.reached === r.targets, `${r.reached}/${r.targets}`);
      }
      if (has.index) {
        const r = await tabThrough(page, '.index a[href]');
        check(`keyboard: Tab reaches every index link ${p.path}`, r.reached === r.targets, `${r.reached}/${r.targets}`);
      }
      await page.close();
    } catch (e) {
      check(`keyboard ${p.path}`, false, e.message.split('\n')[0]);
    } finally { await ctx.close(); }
  }

  // A note opened by keyboard closes with Escape (phone: in place; desktop: focus goes back).
  const article = pages.find((p) => p.rel === `${ARTICLE}index.html`) || pages.find((p) => /noteref/.test(fs.readFileSync(path.join(SITE, p.rel), 'utf8')));
  if (check('keyboard: a page with notes exists', !!article)) {
    for (const [label, opts] of [['390', MOBILE], ['1280', DESKTOP]]) {
      const ctx = await browser.newContext(opts);
      try {
        const { page } = await open(ctx, article.url);
        // focus the first call by keyboard: Tab until it has focus
        await page.evaluate(() => document.querySelector('.text-body a.noteref')?.setAttribute('data-kbd', 'first'));
        let on = false;
        for (let i = 0; i < 400 && !on; i++) {
          await page.keyboard.press('Tab');
          on = await page.evaluate(() => document.activeElement?.getAttribute('data-kbd') === 'first');
        }
        check(`keyboard ${label}: Tab reaches the first note call`, on);
        await page.keyboard.press('Enter');
        await page.waitForTimeout(100);
        const opened = await page.evaluate(() => {
          const call = document.querySelector('[data-kbd="first"]');
          const note = document.getElementById(decodeURIComponent(call.hash.slice(1)));
          const shown = note.checkVisibility ? note.checkVisibility() : note.offsetParent !== null;
          return { shown, focusIn: note.contains(document.activeElement) };
        });
        check(`keyboard ${label}: Enter on a call shows its note and focuses it`, opened.shown && opened.focusIn, JSON.stringify(opened));
        await page.keyboard.press('Escape');
        await page.waitForTimeout(100);
        const closed = await page.evaluate((narrow) => {
          const call = document.querySelector('[data-kbd="first"]');
          const note = document.getElementById(decodeURIComponent(call.hash.slice(1)));
          const shown = note.checkVisibility ? note.checkVisibility() : note.offsetParent !== null;
          return { back: document.activeElement === call, hidden: narrow ? !shown : true };
        }, label === '390');
        check(`keyboard ${label}: Escape closes the note and returns focus to its call`, closed.back && closed.hidden, JSON.stringify(closed));
        await page.close();
      } catch (e) {
        check(`keyboard ${label} escape`, false, e.message.split('\n')[0]);
      } finally { await ctx.close(); }
    }

    // Without JavaScript: a note call is a plain link, the targeted note shows in place.
    const ctx = await browser.newContext({ ...MOBILE, javaScriptEnabled: false });
    try {
      const { page } = await open(ctx, article.url);
      const href = await page.evaluate(() => document.querySelector('.text-body a.noteref')?.getAttribute('href'));
      await page.click(`.text-body a.noteref[href="${href}"]`);
      await page.waitForTimeout(100);
      const shown = await page.evaluate((h) => {
        const n = document.getElementById(decodeURIComponent(h.slice(1)));
        return n && n.checkVisibility();
      }, href);
      check('no JavaScript: a note call shows its note in place', shown);
      await page.close();
    } catch (e) {
      check('no JavaScript: note', false, e.message.split('\n')[0]);
    } finally { await ctx.close(); }

    // The citation downloads are data: links: without JavaScript, each click
    // saves a file under the text's name, with the citation in it.
    const dctx = await browser.newContext({ ...DESKTOP, javaScriptEnabled: false, acceptDownloads: true });
    try {
      const { page } = await open(dctx, article.url);
      for (const ext of ['bib', 'json']) {
        const [download] = await Promise.all([
          page.waitForEvent('download', { timeout: 10000 }),
          page.click(`.downloads a[download$=".${ext}"]`),
        ]);
        const name = download.suggestedFilename();
        const text = fs.readFileSync(await download.path(), 'utf8');
        let ok = name.endsWith(`.${ext}`) && !name.startsWith('citation');
        if (ext === 'bib') ok = ok && /^@\w+\{/.test(text);
        else { try { ok = ok && JSON.parse(text).length > 0; } catch { ok = false; } }
        check(`citation download .${ext}: a file named after the text, holding the citation`, ok, `${name}: ${text.slice(0, 80)}`);
      }
      await page.close();
    } catch (e) {
      check('citation downloads', false, e.message.split('\n')[0]);
    } finally { await dctx.close(); }
  }
}

// ---------------------------------------------------------------- sidenotes

// Wide screens: each sidenote of the article sits level with its first call, or, when the
// note above reaches lower, right under that note; never above its call, never overlapping.
// Without JavaScript the CSS float alone places them (after the block that calls them).
if (!skip.has('sidenotes')) {
  const article = pages.find((p) => p.rel === `${ARTICLE}index.html`);
  if (check('sidenotes: the article exists', !!article)) {
    for (const js of [true, false]) {
      for (const width of [1280, 1440]) {
        const label = `sidenotes ${width}×900${js ? '' : ' without JavaScript'}`;
        const ctx = await browser.newContext({ viewport: { width, height: 900 }, deviceScaleFactor: 1, javaScriptEnabled: js });
        try {
          const { page } = await open(ctx, article.url);
          await page.waitForTimeout(200);
          const ds = await measureSidenotes(page);
          const s = summarize(ds);
          info(`${label}: ${s.n} notes, call → note max ${s.max} px, median ${s.median} px`);
          check(`${label}: notes in the margin`, s.n > 0);
          check(`${label}: no note overlaps the one above`, ds.every((x) => x.gap >= 0),
            ds.filter((x) => x.gap < 0).map((x) => `${x.num} ${x.gap}px`).join(', '));
          if (js) {
            const off = ds.filter((x) => x.d < -4 || (x.d > 4 && !x.stacked));
            check(`${label}: each note level with its call, or stacked under the note above`, off.length === 0,
              off.map((x) => `${x.num}: ${x.d}px`).join(', '));
          }
          await page.close();
        } catch (e) {
          check(label, false, e.message.split('\n')[0]);
        } finally { await ctx.close(); }
      }
    }
  }
}

// ---------------------------------------------------------------- layout

// What the page's scripts make the browser lay out: the article loaded and used (a note call
// clicked and closed with Escape; on wide screens a resize, which places the sidenotes again),
// the home page loaded, the search page loaded and queried, at 1280×900 and on a phone. A script that reads
// geometry after each change, in a loop over the notes, shows as one line forcing layout once
// per note (this is what blocked the article for 250–770 ms); the count, unlike a timing, does
// not depend on how busy the machine is, so it is the gate and Lighthouse's timings are reported.
if (!skip.has('layout')) {
  const targets = [[ARTICLE, useArticle], ['', null], ['search/', useSearch]]
    .filter(([rel]) => pages.some((p) => p.rel === `${rel}index.html`));
  for (const [rel, use] of targets) {
    for (const [size, opts] of [['1280×900', DESKTOP], ['phone', MOBILE]]) {
      const label = `layout ${rel || 'home'} ${size}`;
      try {
        const ev = await forcedLayouts(browser, `${ORIGIN}${BASE}${rel}`, opts, use);
        info(`${label}: scripts forced ${ev.length} layouts and style recalculations (${ev.reduce((a, e) => a + e.ms, 0).toFixed(1)} ms)${ev.length ? ': ' + describeForced(ev) : ''}`);
        check(`${label}: the trace shows a layout forced on purpose`, ev.probe > 0, `${ev.probe}`);
        const bad = layoutProblems(ev);
        check(`${label}: no layout forced in a loop`, bad.length === 0, bad.join('; '));
      } catch (e) {
        check(label, false, e.message.split('\n')[0]);
      }
    }
  }
}

// ---------------------------------------------------------------- search

if (!skip.has('search')) {
  const { searchPass } = await import('./search.mjs');
  await searchPass({ browser, ORIGIN, BASE, SITE, check, info, axe, instrument, DESKTOP });
}

await browser.close();
cleanup.pop();

// ---------------------------------------------------------------- lighthouse

if (!skip.has('lighthouse')) {
  const { default: lighthouse } = await import('lighthouse');
  const { default: desktopConfig } = await import('lighthouse/core/config/desktop-config.js');
  const { launch } = await import('chrome-launcher');

  // One Lighthouse run; returns its scores and total blocking time, or null (failure counted).
  async function lighthouseRun(label, url, preset) {
    let chrome = null;
    try {
      chrome = await launch({ chromePath: CHROME, chromeFlags: CHROME_FLAGS, logLevel: 'silent', handleSIGINT: false });
      const rr = await lighthouse(url, {
        port: chrome.port, output: 'json', logLevel: 'silent', maxWaitForLoad: 60000,
        onlyCategories: ['performance', 'accessibility', 'best-practices', 'seo'],
      }, preset === 'desktop' ? desktopConfig : undefined);
      const lhr = rr?.lhr;
      if (!check(`lighthouse ${label}: ran`, !!lhr && !lhr.runtimeError, lhr?.runtimeError?.message)) return null;
      const scores = Object.fromEntries(Object.values(lhr.categories).map((c) => [c.id, Math.round((c.score ?? 0) * 100)]));
      const losing = Object.fromEntries([...Object.keys(LH_MIN), ...Object.keys(LH_TARGET)].map((cat) => [cat, (lhr.categories[cat]?.auditRefs || [])
        .filter((r) => r.weight > 0 && lhr.audits[r.id]?.score != null && lhr.audits[r.id].score < 1
          && !['notApplicable', 'manual', 'informative'].includes(lhr.audits[r.id].scoreDisplayMode))
        .map((r) => `${r.id} ${lhr.audits[r.id].score}`).slice(0, 6).join(', ')]));
      const tbt = Math.round(lhr.audits['total-blocking-time']?.numericValue ?? NaN);
      const longTasks = (lhr.audits['long-tasks']?.details?.items || []).map((t) => Math.round(t.duration));
      info(`lighthouse ${label}: performance ${scores.performance}, accessibility ${scores.accessibility}, best-practices ${scores['best-practices']}, seo ${scores.seo}; total blocking time ${tbt} ms; long tasks [${longTasks.join(', ')}] ms`);
      return { scores, losing, tbt };
    } catch (e) {
      check(`lighthouse ${label}`, false, String(e?.message || e).split('\n')[0]);
      return null;
    } finally {
      try { await chrome?.kill(); } catch { /* gone */ }
    }
  }
  function checkScores(label, r) {
    for (const [cat, min] of Object.entries(LH_MIN)) {
      check(`lighthouse ${label} ${cat} ≥ ${min}`, r.scores[cat] >= min, `${r.scores[cat]} (${r.losing[cat]})`);
    }
    for (const [cat, min] of Object.entries(LH_TARGET)) {
      if (LH_GATE_PERFORMANCE) check(`lighthouse ${label} ${cat} ≥ ${min}`, r.scores[cat] >= min, `${r.scores[cat]} (${r.losing[cat]})`);
      else info(`lighthouse ${label}: ${cat} ${r.scores[cat]}, target ≥ ${min} ${r.scores[cat] >= min ? 'met' : `not met (${r.losing[cat]}); reported, not gated`}`);
    }
  }

  // the home page: one run per preset
  for (const preset of ['desktop', 'mobile']) {
    const r = await lighthouseRun(`home ${preset}`, `${ORIGIN}${BASE}`, preset);
    if (r) checkScores(`home ${preset}`, r);
  }

  // The article on a quiet machine, the usual thresholds: the best of up to three runs
  // (a shared 2-core machine's scheduling moves the article's mobile score by several
  // points from run to run: 93 to 99 seen; the worst case is what the loaded runs below
  // report).
  for (const preset of ['desktop', 'mobile']) {
    let best = null;
    for (let i = 1; i <= 3; i++) {
      const r = await lighthouseRun(`article ${preset} (quiet, run ${i})`, `${ORIGIN}${BASE}${ARTICLE}`, preset);
      if (r && (!best || r.scores.performance > best.scores.performance)) best = r;
      if (best && best.scores.performance >= LH_TARGET.performance) break;
    }
    if (best) checkScores(`article ${preset} (best of up to 3, quiet)`, best);
  }

  // The article, on a busy machine: LH_RUNS runs per preset while LH_LOAD processes spin on
  // the CPU; the worst run is reported (issue 17: "run the Lighthouse pass three times under an
  // artificial CPU load and report the worst"). Accessibility, best practices and SEO are gated
  // in every run; performance and blocking time only with APPARAT_LH_GATE_PERFORMANCE=1.
  // APPARAT_LH_LOADED=0 skips these runs (the second edition: its pages share the bundled
  // edition's theme and script, and the loaded runs would add minutes to CI).
  const loaded = process.env.APPARAT_LH_LOADED !== '0';
  const runs = Math.max(1, Number(process.env.APPARAT_LH_RUNS || 3));
  const load = Math.max(0, Number(process.env.APPARAT_LH_LOAD ?? 2));
  const busy = [];
  const stopLoad = () => { for (const b of busy.splice(0)) { try { b.kill('SIGKILL'); } catch { /* gone */ } } };
  cleanup.push(stopLoad);
  process.on('exit', stopLoad);
  if (loaded) for (let i = 0; i < load; i++) busy.push(spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' }));
  if (loaded) info(`lighthouse article: ${runs} runs per preset under an artificial load of ${load} busy processes (load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')})`);
  try {
    for (const preset of loaded ? ['desktop', 'mobile'] : []) {
      const results = [];
      for (let i = 1; i <= runs; i++) {
        const r = await lighthouseRun(`article ${preset} (run ${i}/${runs}, loaded)`, `${ORIGIN}${BASE}${ARTICLE}`, preset);
        if (r) results.push(r);
      }
      if (!results.length) continue;
      const worst = results.reduce((a, b) => (b.scores.performance < a.scores.performance ? b : a));
      const worstTbt = Math.max(...results.map((r) => r.tbt));
      info(`lighthouse article ${preset}, worst of ${results.length} under load: performance ${worst.scores.performance}, total blocking time ${worstTbt} ms`);
      checkScores(`article ${preset} (worst of ${results.length}, loaded)`, worst);
      for (const r of results) if (r !== worst) for (const cat of Object.keys(LH_MIN)) {
        if (r.scores[cat] < LH_MIN[cat]) check(`lighthouse article ${preset} ${cat} ≥ ${LH_MIN[cat]}`, false, `${r.scores[cat]} (${r.losing[cat]})`);
      }
      if (LH_GATE_PERFORMANCE) check(`lighthouse article ${preset}: total blocking time ≤ ${LH_TARGET_TBT} ms (worst of ${results.length}, loaded)`, worstTbt <= LH_TARGET_TBT, `${worstTbt} ms`);
      else info(`lighthouse article ${preset}: total blocking time ${worstTbt} ms under load, target ≤ ${LH_TARGET_TBT} ms ${worstTbt <= LH_TARGET_TBT ? 'met' : 'not met; reported, not gated'}`);
    }
  } finally {
    stopLoad();
  }
}

if (!skip.has('shots')) info(`screenshots: ${shotsDir}`);
await finish();
