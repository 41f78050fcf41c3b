/* apparat.js — progressive enhancement only. Without it every note is a plain
   link jump, every page readable. With it:
   - wide screens: each sidenote (floated into the margin by CSS) is lifted level with its
     first call, by a transform computed from one read of the layout;
   - narrow screens: a note call opens its note in place (and focuses it);
     Escape, the call again, or the note's back-link closes it;
   - Escape also returns focus from a note to its call on wide screens;
   - copy buttons for the citations, a copyable permalink on paragraph numbers;
   - a parallel segment highlights its counterpart on hover, focus and tap;
   - the header menus (texts, indexes) close on Escape or a click elsewhere. */
(function () {
  'use strict';
  var doc = document;
  var body = doc.body;
  if (!body || !doc.querySelector || !window.matchMedia) return;
  doc.documentElement.classList.add('js');

  var WIDE = window.matchMedia('(min-width: 60em)');
  var COPY = body.getAttribute('data-copy') || 'Copy';
  var COPIED = body.getAttribute('data-copied') || 'Copied';

  function byId(id) {
    try { return doc.getElementById(decodeURIComponent(id)); } catch (e) { return null; }
  }
  function hashTarget(a) {
    var h = a.getAttribute('href') || '';
    var i = h.indexOf('#');
    return i < 0 ? null : byId(h.slice(i + 1));
  }

  /* ---------- notes ---------- */

  // sidenotes: direct children of the text, not the notes of the encoding guide's examples
  var sidenotes = Array.prototype.slice.call(doc.querySelectorAll('.text-body > .note'));
  var openNote = null;   // narrow screens: the note opened in place
  var openCall = null;   // the call that opened it (focus returns there)
  var current = null;    // wide screens: the note last reached from a call

  function firstCall(note) {
    var back = note.querySelector('a.backlink');
    return back ? hashTarget(back) : null;
  }

  /* Sidenotes are placed by CSS: each floats into the right margin just after the block that
     calls it (style.css). This refinement only lifts a note up towards its first call, with a
     transform, which moves nothing else on the page: the layout is read once, in one pass (in
     a ResizeObserver callback, when it is fresh anyway), then every note is written in a
     second pass; never a read after a write. A note never goes below where CSS put it. */
  var lifts = [];       // the transform now applied to each sidenote (px, ≤ 0)
  var calls = [];       // the first call of each sidenote
  var GAP = 8;          // between two stacked sidenotes (px)

  function liftSidenotes() {
    var i, n = sidenotes.length;
    var want = new Array(n);
    if (WIDE.matches) {
      // read: natural top (without our transform), height, call top
      var tops = new Array(n), heights = new Array(n), callTops = new Array(n);
      for (i = 0; i < n; i++) {
        var r = sidenotes[i].getBoundingClientRect();
        tops[i] = r.top - (lifts[i] || 0);
        heights[i] = r.height;
        callTops[i] = calls[i] ? calls[i].getBoundingClientRect().top : tops[i];
      }
      // compute: level with the call, below the note above, never lower than CSS put it
      var prevBottom = -Infinity;
      for (i = 0; i < n; i++) {
        var top = Math.min(tops[i], Math.max(callTops[i] - 2, prevBottom + GAP));
        want[i] = Math.round(top - tops[i]);
        prevBottom = tops[i] + want[i] + heights[i];
      }
    }
    // write
    for (i = 0; i < n; i++) {
      var w = want[i] || 0;
      if (w === (lifts[i] || 0)) continue;
      lifts[i] = w;
      sidenotes[i].style.transform = w ? 'translateY(' + w + 'px)' : '';
    }
  }

  var pending = 0;
  function scheduleLayout() {
    if (pending) return;
    pending = window.requestAnimationFrame(function () { pending = 0; liftSidenotes(); });
  }

  function setExpanded() {
    var calls = doc.querySelectorAll('.text-body a.noteref');
    for (var i = 0; i < calls.length; i++) {
      var note = hashTarget(calls[i]);
      if (!note || note.closest('.example')) continue;
      if (WIDE.matches) calls[i].removeAttribute('aria-expanded');
      else calls[i].setAttribute('aria-expanded', note.classList.contains('is-open') ? 'true' : 'false');
    }
  }

  function markCalls(note, state) {
    var backs = note.querySelectorAll('a.backlink');
    for (var i = 0; i < backs.length; i++) {
      var c = hashTarget(backs[i]);
      if (c) c.setAttribute('aria-expanded', state ? 'true' : 'false');
    }
  }

  function openInPlace(note, call) {
    if (openNote && openNote !== note) closeInPlace(false);
    openNote = note;
    openCall = call;
    note.classList.remove('is-closed');
    note.classList.add('is-open');
    markCalls(note, true);
    if (!note.hasAttribute('tabindex')) note.setAttribute('tabindex', '-1');
    note.focus({ preventScroll: true });
    var r = note.getBoundingClientRect();
    if (r.bottom > window.innerHeight || r.top < 0) note.scrollIntoView({ block: 'nearest' });
  }

  function closeInPlace(returnFocus) {
    var note = openNote, call = openCall;
    if (!note) return;
    note.classList.remove('is-open');
    // a note shown by the address (#n-12, :target) closes too
    if (note.matches(':target')) note.classList.add('is-closed');
    markCalls(note, false);
    openNote = null;
    openCall = null;
    if (returnFocus && call) call.focus();
  }

  function markCurrent(note, call) {
    if (current) current.classList.remove('is-current');
    var oldCall = doc.querySelector('a.noteref.is-current');
    if (oldCall) oldCall.classList.remove('is-current');
    current = note;
    openCall = call;
    if (!note) return;
    note.classList.add('is-current');
    if (call) call.classList.add('is-current');
  }

  doc.addEventListener('click', function (e) {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    var t = e.target;
    if (!(t instanceof Element)) return;

    var call = t.closest('a.noteref');
    if (call) {
      var note = hashTarget(call);
      if (!note || !note.matches('.text-body > .note')) return;
      e.preventDefault();
      if (WIDE.matches) {
        // the note is beside the call: highlight and focus it, no jump
        markCurrent(note, call);
        if (!note.hasAttribute('tabindex')) note.setAttribute('tabindex', '-1');
        var r = note.getBoundingClientRect();
        var visible = r.top >= 0 && r.bottom <= window.innerHeight;
        note.focus({ preventScroll: visible });
        if (!visible) note.scrollIntoView({ block: 'center' });
      } else if (openNote === note) {
        closeInPlace(true);
      } else {
        openInPlace(note, call);
      }
      return;
    }

    var back = t.closest('a.backlink');
    if (back) {
      var target = hashTarget(back);
      var owner = back.closest('.note');
      if (!target || !owner) return;
      e.preventDefault();
      if (owner === openNote) {
        openCall = target;
        closeInPlace(true);
      } else {
        markCurrent(null, null);
        var rr = target.getBoundingClientRect();
        if (rr.top < 0 || rr.bottom > window.innerHeight) target.scrollIntoView({ block: 'center' });
        target.focus({ preventScroll: true });
      }
      return;
    }

    var pnum = t.closest('a.pnum');
    if (pnum) copyPermalink(pnum);

    var seg = t.closest('.seg');
    if (seg && !t.closest('a')) toggleSegment(seg);

    // a click elsewhere closes the header menus (texts, indexes)
    doc.querySelectorAll('details.menu[open]').forEach(function (menu) {
      if (!menu.contains(t)) menu.removeAttribute('open');
    });
  });

  doc.addEventListener('keydown', function (e) {
    if (e.key !== 'Escape' && e.key !== 'Esc') return;
    var menu = doc.querySelector('details.menu[open]');
    if (menu) {
      menu.removeAttribute('open');
      var s = menu.querySelector('summary');
      if (s) s.focus();
      return;
    }
    if (openNote) {
      e.preventDefault();
      closeInPlace(true);
      return;
    }
    var active = doc.activeElement;
    var inNote = active && active.closest ? active.closest('.text-body > .note') : null;
    if (inNote) {
      e.preventDefault();
      var call = (current === inNote && openCall) ? openCall : firstCall(inNote);
      markCurrent(null, null);
      if (inNote.classList.contains('is-open') || inNote.matches(':target')) {
        openNote = inNote;
        openCall = call;
        closeInPlace(true);
      } else if (call) {
        call.focus();
      }
      return;
    }
    // a gloss shown by focus: Escape dismisses it
    if (active && active.classList && active.classList.contains('glossed')) active.blur();
  });

  /* ---------- parallel segments ---------- */

  function pairOf(seg) { return byId(seg.getAttribute('data-pair') || ''); }
  function setPair(seg, on) {
    var other = pairOf(seg);
    seg.classList.toggle('is-active', on);
    if (other) other.classList.toggle('is-paired', on);
  }
  function toggleSegment(seg) {
    var on = !seg.classList.contains('is-active');
    var all = doc.querySelectorAll('.seg.is-active, .seg.is-paired');
    for (var i = 0; i < all.length; i++) all[i].classList.remove('is-active', 'is-paired');
    if (on) setPair(seg, true);
  }
  function segHandler(on) {
    return function (e) {
      var t = e.target;
      if (!(t instanceof Element)) return;
      var seg = t.closest('.seg');
      if (!seg) return;
      var rel = e.relatedTarget;
      if (rel instanceof Element && seg.contains(rel)) return;
      setPair(seg, on);
    };
  }
  // hover is CSS's (the row lights up); focus and taps are marked here
  doc.addEventListener('focusin', segHandler(true));
  doc.addEventListener('focusout', segHandler(false));

  /* ---------- glosses: keep the tooltip inside the window ---------- */

  function fitGloss(e) {
    var t = e.target;
    if (!(t instanceof Element)) return;
    var g = t.closest('.glossed');
    if (!g) return;
    var tip = g.querySelector('.gloss');
    if (!tip) return;
    window.requestAnimationFrame(function () {
      tip.style.left = '';
      var r = tip.getBoundingClientRect();
      var room = doc.documentElement.clientWidth - 8;
      if (r.width > 2 && r.right > room) tip.style.left = Math.round(room - r.right) + 'px';
    });
  }
  doc.addEventListener('mouseover', fitGloss);
  doc.addEventListener('focusin', fitGloss);

  /* ---------- copying ---------- */

  function copyText(text, html) {
    var clip = navigator.clipboard;
    if (!clip || !window.isSecureContext) return Promise.reject(new Error('no clipboard'));
    if (html && window.ClipboardItem && clip.write) {
      try {
        var item = new window.ClipboardItem({
          'text/plain': new Blob([text], { type: 'text/plain' }),
          'text/html': new Blob([html], { type: 'text/html' }),
        });
        return clip.write([item]).catch(function () { return clip.writeText(text); });
      } catch (e) { /* fall through */ }
    }
    return clip.writeText(text);
  }

  function selectContents(el) {
    var sel = window.getSelection();
    if (!sel) return;
    var range = doc.createRange();
    range.selectNodeContents(el);
    sel.removeAllRanges();
    sel.addRange(range);
  }

  function flash(el, attr, value, ms) {
    el.setAttribute(attr, value);
    window.clearTimeout(el._apparatTimer);
    el._apparatTimer = window.setTimeout(function () { el.removeAttribute(attr); }, ms);
  }

  var status = null;
  function announce(msg) {
    if (!status) {
      status = doc.createElement('p');
      status.className = 'visually-hidden';
      status.setAttribute('role', 'status');
      body.appendChild(status);
    }
    status.textContent = '';
    window.setTimeout(function () { status.textContent = msg; }, 50);
  }

  function copyPermalink(a) {
    var url = window.location.href.replace(/#.*$/, '') + a.getAttribute('href');
    copyText(url).then(function () {
      flash(a, 'data-state', COPIED, 1600);
      announce(COPIED);
    }, function () { /* no clipboard: the address bar holds the permalink */ });
  }

  var cites = doc.querySelectorAll('.cite .citation');
  for (var c = 0; c < cites.length; c++) {
    (function (p) {
      var dd = p.parentNode;
      var dt = dd && dd.previousElementSibling;
      var btn = doc.createElement('button');
      btn.type = 'button';
      btn.className = 'copy';
      btn.textContent = COPY;
      btn.setAttribute('aria-label', COPY + (dt ? ' (' + dt.textContent + ')' : ''));
      btn.addEventListener('click', function () {
        var text = p.textContent.replace(/\s+/g, ' ').trim();
        copyText(text, p.innerHTML).then(function () {
          btn.textContent = COPIED;
          btn.setAttribute('data-state', 'done');
          announce(COPIED);
          window.setTimeout(function () {
            btn.textContent = COPY;
            btn.removeAttribute('data-state');
          }, 1800);
        }, function () { selectContents(p); });
      });
      dd.appendChild(btn);
    })(cites[c]);
  }

  /* ---------- wiring ---------- */

  function onModeChange() {
    if (WIDE.matches && openNote) closeInPlace(false);
    if (!WIDE.matches) markCurrent(null, null);
    setExpanded();
    scheduleLayout();
  }
  if (WIDE.addEventListener) WIDE.addEventListener('change', onModeChange);
  else if (WIDE.addListener) WIDE.addListener(onModeChange);

  if (sidenotes.length) {
    for (var k = 0; k < sidenotes.length; k++) calls[k] = firstCall(sidenotes[k]);
    var textBody = sidenotes[0].parentNode;
    if (window.ResizeObserver) {
      // called after layout, before paint, whenever the text's box changes (first
      // observation, fonts, width, a toggled details): the layout read there is fresh
      new window.ResizeObserver(liftSidenotes).observe(textBody);
    } else {
      window.addEventListener('resize', scheduleLayout);
      window.addEventListener('load', scheduleLayout);
      scheduleLayout();
    }
  }
  window.addEventListener('hashchange', function () {
    if (!WIDE.matches && openNote && window.location.hash !== '#' + openNote.id) closeInPlace(false);
  });

  setExpanded();
})();
