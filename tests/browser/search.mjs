// apparat — browser test tier: the search pass (issue 15).
//
// On the built edition, served under its sub-path: the search page finds
//   - "Luis" → Humbert-Droz's register entry, first;
//   - "mariategui" (no accent, lower case) → passages with Mariátegui marked;
//   - a Spanish word found only in a translation column → that column's anchor;
//   - the words of a note → the note's anchor;
// the header's search box is a plain form (without JavaScript it lands on the
// search page, which says that results need JavaScript); filters narrow the
// results; results are reachable with the keyboard; axe finds nothing on the
// page with results; opened from disk (file://) the page says that search
// needs a server and links to the person index. No request leaves 127.0.0.1.
//
// The words of the last two checks are taken from the built pages (a Spanish
// word of a translation column that no other page or column holds; a word of
// a note that the rest of its page does not hold), so that the pass needs no
// knowledge of the edition.

import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const WORD = /[\p{L}][\p{L}\p{M}'’-]{5,}/gu;

function strip(html) {
  return html.replace(/<script[\s\S]*?<\/script>/g, ' ').replace(/<[^>]+>/g, ' ')
    .replace(/&[a-z#0-9]+;/gi, ' ');
}

// words of each region (`<div id=…>` … up to the next block) of every indexed page
function regions(site) {
  const out = [];
  const walk = (dir, rel) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(path.join(dir, e.name), r);
      else if (e.name === 'index.html') {
        const html = fs.readFileSync(path.join(dir, e.name), 'utf8');
        if (html.includes('data-pagefind-body')) out.push({ rel: r, html });
      }
    }
  };
  walk(site, '');
  return out;
}

function words(text) {
  return new Set((text.match(WORD) || []).map((w) => w.toLowerCase()));
}

// a word of a translation column (lang="es") that appears nowhere else in any indexed page
// but the edition's translations of whole texts
function translationOnlyWord(pages) {
  for (const p of pages) {
    const re = /<div[^>]*id="(par\d+-s\d+-translation)"[^>]*>([\s\S]*?)<\/div>/g;
    let m;
    while ((m = re.exec(p.html))) {
      const col = words(strip(m[2]));
      // (the edition's full translations of its texts repeat the columns'
      // words: they do not count as elsewhere)
      const rest = pages
        .filter((q) => q === p || !q.html.includes('class="translation-notice"'))
        .map((q) => (q === p ? q.html.replace(m[0], ' ') : q.html)).map(strip).join(' ');
      const others = words(rest);
      for (const w of col) if (!others.has(w) && !/[0-9]/.test(w)) return { word: w, page: p.rel, id: m[1] };
    }
  }
  return null;
}

// a word of a note that appears nowhere else in any indexed page
function noteOnlyWord(pages) {
  for (const p of pages) {
    const re = /<div class="note[^"]*" id="((?:n|ed)-[^"]+)"[^>]*>([\s\S]*?)<div class="backlinks">/g;
    let m;
    while ((m = re.exec(p.html))) {
      const note = words(strip(m[2]));
      const rest = pages.map((q) => (q === p ? q.html.replace(m[0], ' ') : q.html)).map(strip).join(' ');
      const others = words(rest);
      for (const w of note) if (!others.has(w)) return { word: w, page: p.rel, id: m[1] };
    }
  }
  return null;
}

export async function searchPass({ browser, ORIGIN, BASE, SITE, check, info, axe, instrument, DESKTOP }) {
  const searchUrl = (q, extra = '') => `${ORIGIN}${BASE}search/?q=${encodeURIComponent(q)}${extra}`;
  const pages = regions(SITE);

  // results of one query, as the page shows them
  async function results(page, q, extra = '') {
    await page.goto(searchUrl(q, extra), { waitUntil: 'load' });
    await page.waitForFunction(() => {
      const s = document.getElementById('search-status');
      return s && s.textContent && !/…$/.test(s.textContent.trim());
    }, null, { timeout: 20000 });
    return page.evaluate(() => [...document.querySelectorAll('.search-result')].map((r) => ({
      title: r.querySelector('h2 a')?.textContent,
      url: r.querySelector('h2 a')?.getAttribute('href'),
      passages: [...r.querySelectorAll('a.search-passage')].map((a) => ({
        href: a.getAttribute('href'),
        marks: [...a.querySelectorAll('mark')].map((m) => m.textContent),
      })),
    })));
  }

  const ctx = await browser.newContext(DESKTOP);
  try {
    const page = await ctx.newPage();
    const rec = instrument(page);

    // "Luis" → Humbert-Droz's register entry, first
    const luis = await results(page, 'Luis');
    const first = luis[0]?.passages[0]?.href || '';
    check('search: "Luis" → Humbert-Droz\'s register entry first', /personnes\/([^/#]+\/)?#humbert-droz$/.test(first),
      JSON.stringify(luis.slice(0, 2)));

    // accent- and case-insensitive
    const mar = await results(page, 'mariategui');
    const marks = mar.flatMap((r) => r.passages.flatMap((p) => p.marks));
    check('search: "mariategui" → passages with Mariátegui marked',
      mar.length > 0 && marks.some((m) => /Mariátegui/.test(m)), JSON.stringify(marks.slice(0, 5)));
    check('search: results grouped by text (one result per page)',
      new Set(mar.map((r) => r.url)).size === mar.length && mar.some((r) => r.passages.length > 1),
      JSON.stringify(mar.map((r) => [r.title, r.passages.length])));
    check('search: passages link to their paragraph', mar.some((r) => r.passages.some((p) => /#p-\d+$/.test(p.href))),
      JSON.stringify(mar.flatMap((r) => r.passages.map((p) => p.href)).slice(0, 6)));

    // a Spanish word found only in a translation → that column
    const es = translationOnlyWord(pages);
    if (check('search: the edition has a word found only in a translation column', !!es)) {
      const r = await results(page, es.word);
      const hrefs = r.flatMap((x) => x.passages.map((p) => p.href));
      check(`search: "${es.word}" → the translation column #${es.id}`,
        hrefs.some((h) => h.endsWith(`#${es.id}`)), JSON.stringify(hrefs));
    }

    // a note's words → the note
    const nw = noteOnlyWord(pages);
    if (check('search: the edition has a word found only in a note', !!nw)) {
      const r = await results(page, nw.word);
      const hrefs = r.flatMap((x) => x.passages.map((p) => p.href));
      check(`search: "${nw.word}" → the note #${nw.id}`, hrefs.some((h) => h.endsWith(`#${nw.id}`)), JSON.stringify(hrefs));
      // the kind filter: notes only keeps it
      const notes = await results(page, nw.word, '&kind=note');
      const nh = notes.flatMap((x) => x.passages.map((p) => p.href));
      check('search: kind=note keeps only note passages', nh.length > 0 && nh.every((h) => /#(n|ed|tn)-/.test(h)), JSON.stringify(nh));
    }

    // the register filter narrows to the register
    const reg = await results(page, 'Luis', '&kind=register');
    check('search: kind=register → the index of persons only', reg.length > 0 && reg.every((r) => /personnes\/([^/]+\/)?$/.test(r.url)),
      JSON.stringify(reg.map((r) => r.url)));

    // the filters are checkboxes, shown once the engine is loaded
    await results(page, 'mariategui');
    const filters = await page.evaluate(() => [...document.querySelectorAll('#search-filters input[type=checkbox]')].map((b) => `${b.name}=${b.value}`));
    check('search: filters by text, language and kind', ['text', 'language', 'kind'].every((k) => filters.some((f) => f.startsWith(`${k}=`)) || k === 'language'),
      JSON.stringify(filters));

    // keyboard: Tab from the search field reaches the first result's link
    await page.focus('#search-q');
    let reached = false;
    for (let i = 0; i < 60 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = await page.evaluate(() => document.activeElement?.closest?.('.search-result') != null);
    }
    check('search: keyboard reaches the results', reached);

    // axe on the page with results
    const v = await axe(page);
    check('search: axe 0 on the page with results', v.length === 0, v.join('; '));
    check('search: no console error, no failed or external request',
      rec.console.length === 0 && rec.errors.length === 0 && rec.failed.length === 0 && rec.external.length === 0,
      [...rec.console, ...rec.errors, ...rec.failed, ...rec.external].join(' | '));

    // the header's box, typed into and submitted with Enter
    await page.goto(`${ORIGIN}${BASE}`, { waitUntil: 'load' });
    await page.fill('#site-search-q', 'Luis');
    await Promise.all([page.waitForURL(/\/search\/\?q=Luis/), page.press('#site-search-q', 'Enter')]);
    await page.waitForSelector('.search-result', { timeout: 20000 });
    check('search: the header box leads to the results', page.url().startsWith(`${ORIGIN}${BASE}search/`), page.url());
    await page.close();
  } catch (e) {
    check('search pass', false, e.message.split('\n')[0]);
  } finally { await ctx.close(); }

  // without JavaScript: the header's form still leads to the search page, which says why there is nothing
  const nojs = await browser.newContext({ ...DESKTOP, javaScriptEnabled: false });
  try {
    const page = await nojs.newPage();
    await page.goto(`${ORIGIN}${BASE}`, { waitUntil: 'load' });
    await page.fill('#site-search-q', 'Luis');
    await Promise.all([page.waitForURL(/\/search\/\?q=Luis/), page.press('#site-search-q', 'Enter')]);
    const text = await page.evaluate(() => document.getElementById('search-noscript')?.textContent || '');
    check('search without JavaScript: the form works and the page says results need JavaScript',
      page.url().includes('/search/?q=Luis') && text.length > 10, `${page.url()} ${text}`);
  } catch (e) {
    check('search without JavaScript', false, e.message.split('\n')[0]);
  } finally { await nojs.close(); }

  // from disk: never a silent failure
  const disk = await browser.newContext(DESKTOP);
  try {
    const page = await disk.newPage();
    await page.goto(`${pathToFileURL(path.join(SITE, 'search', 'index.html')).href}?q=Luis`, { waitUntil: 'load' });
    const msg = await page.evaluate(() => {
      const m = document.getElementById('search-message');
      return m && !m.hidden ? { text: m.textContent, link: m.querySelector('a')?.getAttribute('href') } : null;
    });
    check('search from disk (file://): says it needs a server, links to the person index',
      !!msg && /personnes\//.test(msg.link || ''), JSON.stringify(msg));
  } catch (e) {
    check('search from disk', false, e.message.split('\n')[0]);
  } finally { await disk.close(); }
  info('search: pass done');
}
