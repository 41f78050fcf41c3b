/* search.js — the search page (search/index.html). Without it the page says
   that results need JavaScript (#search-noscript, hidden here); with it, it loads Pagefind's search engine
   (pagefind/pagefind.js, written by the build) only when there is something
   to search, and lists the pages found, grouped by text, each with the
   passages that match: the paragraph, note, translation column or register
   entry that holds them, linked by its anchor, with the words marked.
   Filters by text, language and kind. Opened from disk (file://), where the
   index cannot be fetched, it says so and points to the index of persons. */
(function () {
  'use strict';
  var doc = document;
  var app = doc.getElementById('search-app');
  var input = doc.getElementById('search-q');
  var message = doc.getElementById('search-message');
  if (!app || !input || !message) return;
  // (the page says, until now, that results need JavaScript)
  var noscript = doc.getElementById('search-noscript');
  if (noscript) noscript.hidden = true;
  var form = input.form;
  var status = doc.getElementById('search-status');
  var list = doc.getElementById('search-results');
  var filterBox = doc.getElementById('search-filters');
  var strings = {};
  try { strings = JSON.parse(app.getAttribute('data-strings') || '{}'); } catch (e) { strings = {}; }
  function t(key) { return strings[key] || key; }
  // this script is assets/search.js: the site's root is one folder up
  var script = doc.currentScript;
  var root = new URL('../', script && script.src ? script.src : location.href);
  // inline elements never make a passage of their own
  var INLINE = /^(a|abbr|b|bdi|bdo|cite|code|data|del|dfn|em|i|ins|kbd|mark|q|s|samp|small|span|strong|sub|sup|time|u|var)$/i;
  var NOTE = /^(n|ed|tn)-/;
  var WORDS = /[^\S\uFEFF]+/g;
  var PER_PAGE = 5;
  var EXCERPT = 26;
  var FILTERS = ['text', 'language', 'kind'];

  function fail(key) {
    message.querySelector('.search-message-text').textContent = t(key) + ' ' + t('search_persons_hint');
    message.hidden = false;
    app.hidden = true;
  }

  if (location.protocol === 'file:') {
    fail('search_needs_server');
    return;
  }
  app.hidden = false;

  var params = new URLSearchParams(location.search);
  input.value = params.get('q') || '';
  var chosen = {};
  FILTERS.forEach(function (k) { chosen[k] = params.getAll(k); });

  var engine = null;
  function load() {
    if (!engine) {
      engine = import(new URL('pagefind/pagefind.js', root).href).then(function (pf) {
        return pf.options({ excerptLength: EXCERPT }).then(function () {
          return merge(pf);
        }).then(function () { return pf; });
      });
      engine.then(showFilters, function () {});
    }
    return engine;
  }

  // a large edition's index comes in shards (pagefind/shards.json lists
  // all but the first): each is merged into the first
  function merge(pf) {
    return fetch(new URL('pagefind/shards.json', root).href).then(function (r) {
      return r.ok ? r.json() : [];
    }).catch(function () {
      // no list (an older site, a failed request): the first index alone
      return [];
    }).then(function (shards) {
      return Promise.all((Array.isArray(shards) ? shards : []).map(function (s) {
        return pf.mergeIndex(new URL(s, root).href, { excerptLength: EXCERPT });
      }));
    });
  }

  function label(key, value) {
    if (key === 'kind') return t('search_kind_' + value);
    if (key === 'language') return strings['lang_' + value] || value;
    return value;
  }

  function showFilters(pf) {
    pf.filters().then(function (all) {
      var groups = filterBox.querySelector('.search-filter-groups');
      var frag = doc.createDocumentFragment();
      FILTERS.forEach(function (key) {
        var values = Object.keys(all[key] || {}).sort();
        if (values.length < 2 && !chosen[key].length) return;
        var set = doc.createElement('fieldset');
        var legend = doc.createElement('legend');
        legend.textContent = t('search_by_' + key);
        set.appendChild(legend);
        values.forEach(function (v) {
          var l = doc.createElement('label');
          var box = doc.createElement('input');
          box.type = 'checkbox';
          box.name = key;
          box.value = v;
          box.checked = chosen[key].indexOf(v) >= 0;
          l.appendChild(box);
          l.appendChild(doc.createTextNode(' ' + label(key, v) + ' (' + all[key][v] + ')'));
          set.appendChild(l);
        });
        frag.appendChild(set);
      });
      if (!frag.childNodes.length) return;
      groups.replaceChildren(frag);
      filterBox.hidden = false;
      if (FILTERS.some(function (k) { return chosen[k].length; })) filterBox.open = true;
    }, function () {});
  }

  filterBox.addEventListener('change', function (ev) {
    var box = ev.target;
    if (!box || box.type !== 'checkbox') return;
    var values = chosen[box.name] || [];
    var i = values.indexOf(box.value);
    if (box.checked && i < 0) values.push(box.value);
    if (!box.checked && i >= 0) values.splice(i, 1);
    chosen[box.name] = values;
    run();
  });

  // the page's URL says what is searched, so that it can be shared
  function remember(term) {
    var p = new URLSearchParams();
    if (term) p.set('q', term);
    FILTERS.forEach(function (k) { chosen[k].forEach(function (v) { p.append(k, v); }); });
    var q = p.toString();
    history.replaceState(null, '', location.pathname + (q ? '?' + q : ''));
  }

  // the passages of one page that hold the matched words: each word goes to
  // the last block element with an id before it (paragraph, note,
  // translation column, register entry)
  function passages(d) {
    var anchors = (d.anchors || []).filter(function (a) {
      return a.id && !INLINE.test(a.element);
    }).sort(function (a, b) { return a.location - b.location; });
    var groups = [];
    var byAnchor = {};
    (d.weighted_locations || []).forEach(function (w) {
      var at = null, end = Infinity;
      for (var i = 0; i < anchors.length; i++) {
        if (anchors[i].location <= w.location) at = anchors[i];
        else { end = anchors[i].location; break; }
      }
      var key = at ? at.id : '';
      var g = byAnchor[key];
      if (!g) {
        g = byAnchor[key] = { anchor: at, start: at ? at.location : 0, end: end, locs: [], score: 0 };
        groups.push(g);
      }
      g.locs.push(w.location);
      g.score += w.balanced_score || w.weight || 1;
    });
    var kinds = chosen.kind;
    if (kinds.length) {
      var notes = kinds.indexOf('note') >= 0;
      var others = kinds.some(function (k) { return k !== 'note'; });
      groups = groups.filter(function (g) {
        var isNote = !!(g.anchor && NOTE.test(g.anchor.id));
        return isNote ? notes : others;
      });
    }
    return groups.sort(function (a, b) { return b.score - a.score || a.start - b.start; });
  }

  // words around the group's first match, the matches marked
  function excerpt(words, g) {
    var first = Math.min.apply(null, g.locs);
    var end = Math.min(g.end, words.length);
    var from = Math.max(g.start, first - Math.floor(EXCERPT / 3));
    var to = Math.min(end, from + EXCERPT);
    from = Math.max(g.start, Math.min(from, to - EXCERPT));
    var marked = {};
    g.locs.forEach(function (l) { marked[l] = true; });
    var p = doc.createElement('p');
    p.className = 'search-excerpt';
    if (from > g.start) p.appendChild(doc.createTextNode('… '));
    var text = '';
    for (var i = from; i < to; i++) {
      if (marked[i]) {
        if (text) p.appendChild(doc.createTextNode(text));
        text = '';
        var m = doc.createElement('mark');
        m.textContent = words[i];
        p.appendChild(m);
        text = ' ';
      } else {
        text += words[i] + (i + 1 < to ? ' ' : '');
      }
    }
    if (text) p.appendChild(doc.createTextNode(text));
    if (to < end) p.appendChild(doc.createTextNode(' …'));
    return p;
  }

  function anchorLabel(a) {
    if (!a) return '';
    var m = /^p-(\d+)(?:-\d+)?$/.exec(a.id);
    if (m) return t('paragraph') + '\u00a0' + m[1];
    var n = /^(n|ed|tn)-(.+)$/.exec(a.id);
    if (n) return t('note') + ' ' + n[2];
    if (/-translation$/.test(a.id)) return t('translation');
    if (/-original$/.test(a.id)) return t('original');
    return '';
  }

  function page(d) {
    var li = doc.createElement('li');
    li.className = 'search-result';
    var h = doc.createElement('h2');
    var a = doc.createElement('a');
    a.href = d.url;
    a.textContent = (d.meta && d.meta.title) || d.url;
    h.appendChild(a);
    var kind = d.meta && d.meta.kind;
    if (kind) {
      var k = doc.createElement('span');
      k.className = 'search-kind';
      k.textContent = ' ' + t('search_kind_' + kind);
      h.appendChild(k);
    }
    li.appendChild(h);
    var words = (d.content || '').split(WORDS);
    var groups = passages(d);
    if (!groups.length) return null;
    var ul = doc.createElement('ul');
    ul.className = 'search-passages';
    groups.slice(0, PER_PAGE).forEach(function (g) {
      var item = doc.createElement('li');
      var link = doc.createElement('a');
      link.href = g.anchor ? d.url + '#' + encodeURIComponent(g.anchor.id) : d.url;
      link.className = 'search-passage';
      var where = anchorLabel(g.anchor);
      if (where) {
        var w = doc.createElement('span');
        w.className = 'search-where';
        w.textContent = where;
        link.appendChild(w);
      }
      link.appendChild(excerpt(words, g));
      item.appendChild(link);
      ul.appendChild(item);
    });
    li.appendChild(ul);
    return li;
  }

  var serial = 0;
  function run() {
    var term = input.value.trim();
    remember(term);
    var mine = ++serial;
    if (!term) {
      status.textContent = '';
      list.replaceChildren();
      return;
    }
    status.textContent = t('search_loading');
    load().then(function (pf) {
      var filters = {};
      FILTERS.forEach(function (k) {
        if (k !== 'kind' && chosen[k].length) filters[k] = { any: chosen[k] };
      });
      if (chosen.kind.length) filters.kind = { any: chosen.kind };
      return pf.search(term, { filters: filters });
    }).then(function (found) {
      if (mine !== serial) return null;
      var results = (found && found.results) || [];
      return Promise.all(results.slice(0, 40).map(function (r) { return r.data(); }));
    }).then(function (data) {
      if (!data || mine !== serial) return;
      var frag = doc.createDocumentFragment();
      var shown = 0;
      data.forEach(function (d) {
        var li = page(d);
        if (li) { frag.appendChild(li); shown++; }
      });
      status.textContent = shown === 0 ? t('search_none')
        : shown === 1 ? t('search_one_result')
        : t('search_results').replace('{n}', String(shown));
      list.replaceChildren(frag);
    }, function () {
      if (mine === serial) fail('search_failed');
    });
  }

  if (form) {
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      run();
    });
  }
  var timer = 0;
  input.addEventListener('input', function () {
    clearTimeout(timer);
    timer = setTimeout(run, 250);
  });
  input.addEventListener('focus', function () { load().then(null, function () {}); }, { once: true });
  if (input.value) run();
})();
