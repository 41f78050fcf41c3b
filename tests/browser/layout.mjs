// apparat — the layout work a page's scripts force (browser tier).
//
//   node layout.mjs URL [URL…]     prints, per URL, the layouts and style recalculations that
//                                  scripts forced while the page loaded and was used, at
//                                  1280×900 and 390×844
//
// A forced (synchronous) layout is one a script asks for by reading geometry after a change:
// Chromium's trace then carries the script's stack on the `Layout` or `UpdateLayoutTree` event.
// One in a loop per note is what made apparat.js block the article for 250–770 ms (issue 17).
// Unlike a timing, the count does not depend on how busy the machine is: run.mjs gates it.
//
// run.mjs imports forcedLayouts() for its own check.

/** The trace events that the page's own scripts forced: [{ name, ms, fn }] (fn: the innermost
 *  script frame, `function file:line`). Only scripts from `origin` count: not the test driver's
 *  own evaluations (no URL), nor the browser's own pages that share the trace. */
export function forcedEvents(traceEvents, origin) {
  const out = [];
  for (const e of traceEvents) {
    if (e.name !== 'Layout' && e.name !== 'UpdateLayoutTree') continue;
    const stack = e.args?.beginData?.stackTrace;
    if (!Array.isArray(stack) || !stack.length) continue;
    const f = stack[0];
    if (!String(f.url || '').startsWith(origin + '/')) continue;
    out.push({ name: e.name, ms: (e.dur || 0) / 1000, fn: `${f.functionName || '(anonymous)'} ${String(f.url || '').split('/').pop()}:${f.lineNumber}` });
  }
  return out;
}

// A script put in the page at the end, which forces one layout: the trace must show it, so
// that a trace without stacks (another Chromium) cannot pass the gate by counting nothing.
const PROBE = 'apparatLayoutProbe';
const PROBE_SCRIPT = `function ${PROBE}() { var b = document.body; b.style.paddingTop = '1px'; void b.offsetHeight; b.style.paddingTop = ''; } ${PROBE}();`;

/** Loads `url` in a new context of `browser` (playwright) with `options`, runs `use(page)`
 *  (the interactions to include), and returns the layout work scripts forced meanwhile, and
 *  how many layouts the probe forced (at least one when the trace shows them). */
export async function forcedLayouts(browser, url, options, use) {
  const ctx = await browser.newContext(options);
  try {
    const page = await ctx.newPage();
    // the .stack category is what puts the script's stack on a forced event
    const categories = ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'disabled-by-default-devtools.timeline.stack'];
    await browser.startTracing(page, { categories });
    let buf;
    try {
      await page.goto(url, { waitUntil: 'load' });
      // two frames: the ResizeObserver's first callback (the sidenotes' one read) has run
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      if (use) await use(page);
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      // served from the page's origin by the test, so that its stack names a URL there
      const probeUrl = new URL(`${PROBE}.js`, page.url()).href;
      await page.route(probeUrl, (route) => route.fulfill({ contentType: 'text/javascript', body: PROBE_SCRIPT }));
      await page.addScriptTag({ url: probeUrl });
    } finally {
      buf = await browser.stopTracing();
    }
    const all = forcedEvents(JSON.parse(buf.toString()).traceEvents || [], new URL(page.url()).origin);
    const events = all.filter((e) => !e.fn.startsWith(PROBE));
    return Object.assign(events, { probe: all.filter((e) => e.fn.startsWith(PROBE) && e.name === 'Layout').length });
  } finally {
    await ctx.close();
  }
}

/** The interactions measured: on wide screens a resize (the sidenotes are placed again) and a
 *  note call clicked; on narrow ones a note opened in place and closed with Escape. */
export async function useArticle(page) {
  const call = page.locator('a.noteref').first();
  if (await call.count()) {
    await call.click();
    await page.keyboard.press('Escape');
  }
  const vp = page.viewportSize();
  if (vp && vp.width >= 1000) await page.setViewportSize({ width: vp.width + 160, height: vp.height });
}

/** The gate: no script line forces layout or style more than `perLine` times (a loop over the
 *  notes or paragraphs repeats one line for each), and at most `layouts` forced layouts in all
 *  (a click that focuses a note may force one). Returns the problems, empty when none. */
export function problems(events, perLine = 4, layouts = 4) {
  const out = [];
  const by = new Map();
  for (const e of events) by.set(`${e.name} from ${e.fn}`, (by.get(`${e.name} from ${e.fn}`) || 0) + 1);
  for (const [k, n] of by) if (n > perLine) out.push(`${n}× ${k} (at most ${perLine})`);
  const nLayout = events.filter((e) => e.name === 'Layout').length;
  if (nLayout > layouts) out.push(`${nLayout} forced layouts (at most ${layouts})`);
  return out;
}

/** The search page used: a query made of the longest word of the site's menu (likely to be
 *  found: it names the edition's texts and registers), typed and submitted; waits for results. */
export async function useSearch(page) {
  const word = await page.evaluate(() => ([...document.querySelectorAll('nav a')]
    .flatMap((a) => a.textContent.match(/\p{L}{4,}/gu) || []).sort((a, b) => b.length - a.length)[0]) || 'text');
  const box = page.locator('main input[type="search"]').first();
  if (!(await box.count())) return;
  await box.fill(word);
  await box.press('Enter');
  await page.waitForSelector('.search-result', { timeout: 20000 }).catch(() => {});
}

export function describe(events) {
  const by = new Map();
  for (const e of events) {
    const k = `${e.name} from ${e.fn}`;
    by.set(k, (by.get(k) || 0) + 1);
  }
  return [...by].map(([k, n]) => `${n}× ${k}`).join('; ');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { createRequire } = await import('node:module');
  const require = createRequire(import.meta.url);
  const { chromium } = require('playwright-core');
  const browser = await chromium.launch({ executablePath: process.env.CHROME_PATH || '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
  try {
    for (const url of process.argv.slice(2)) {
      for (const [label, opts] of [['1280×900', { viewport: { width: 1280, height: 900 } }], ['390×844', { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true }]]) {
        const ev = await forcedLayouts(browser, url, opts, useArticle);
        const bad = problems(ev);
        if (!ev.probe) bad.push('the trace does not show the probe\'s forced layout');
        console.log(`${url} ${label}: ${ev.length} forced (${ev.reduce((a, e) => a + e.ms, 0).toFixed(1)} ms)${ev.length ? ': ' + describe(ev) : ''}${bad.length ? ' — TOO MANY: ' + bad.join('; ') : ''}`);
      }
    }
  } finally {
    await browser.close();
  }
}
