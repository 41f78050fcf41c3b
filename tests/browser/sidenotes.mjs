// apparat — where the sidenotes of a page sit, relative to their calls (browser tier).
//
//   node sidenotes.mjs URL [URL…]      prints, per URL and width (1280 and 1440 × 900, with and
//                                      without JavaScript), the distance of each note to its call
//
// run.mjs imports measureSidenotes() for its own check.

/** In the page: for each sidenote (a direct child of .text-body shown in the margin), the
 *  vertical distance from the top of its first call to the top of the note, in px (positive:
 *  the note is lower), and whether the note above pushed it down (it starts where that one ends). */
export function measureSidenotes(page) {
  return page.evaluate(() => {
    const out = [];
    let prevBottom = -Infinity;
    for (const note of document.querySelectorAll('.text-body > .note')) {
      const r = note.getBoundingClientRect();
      if (!r.height || getComputedStyle(note).float === 'none') continue;
      const back = note.querySelector('a.backlink');
      const h = back?.getAttribute('href') || '';
      const call = h.includes('#') ? document.getElementById(decodeURIComponent(h.slice(h.indexOf('#') + 1))) : null;
      if (!call) continue;
      const c = call.getBoundingClientRect();
      out.push({
        id: note.id,
        num: note.querySelector('.note-num')?.textContent.trim() ?? '',
        d: Math.round(r.top - c.top),
        stacked: r.top - prevBottom < 24,
        gap: Math.round(r.top - prevBottom),
      });
      prevBottom = r.bottom;
    }
    return out;
  });
}

export function summary(ds) {
  const a = ds.map((x) => Math.abs(x.d)).sort((x, y) => x - y);
  const median = a.length ? (a.length % 2 ? a[(a.length - 1) / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2) : 0;
  return { n: a.length, max: a.length ? a[a.length - 1] : 0, median };
}

const main = import.meta.url === `file://${process.argv[1]}`;
if (main) {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: process.env.CHROME_PATH || '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu'] });
  for (const url of process.argv.slice(2)) {
    for (const js of [true, false]) {
      for (const width of [1280, 1440]) {
        const ctx = await browser.newContext({ viewport: { width, height: 900 }, javaScriptEnabled: js });
        const page = await ctx.newPage();
        await page.goto(url, { waitUntil: 'load' });
        await page.waitForTimeout(300);
        const ds = await measureSidenotes(page);
        const s = summary(ds);
        console.log(`${url} ${width}×900 ${js ? 'JS' : 'no JS'}: ${s.n} notes, |call→note| max ${s.max} px, median ${s.median} px`);
        if (process.env.VERBOSE) console.log('  ' + ds.map((x) => `${x.num}:${x.d}${x.stacked ? '*' : ''}`).join(' '));
        await ctx.close();
      }
    }
  }
  await browser.close();
}
