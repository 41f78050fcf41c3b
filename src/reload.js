// apparat serve: live reload (injected in serve mode only).
// Events: `hello` (on every connection; a different value after a reconnect
// means the server restarted or rebuilt meanwhile), `reload`, `css` (only
// stylesheets changed), `error-page` (the build failed: reload to show the
// overlay listing the errors).
(function () {
  "use strict";
  var base = document.currentScript ? document.currentScript.src.replace(/reload\.js.*$/, "") : "/__apparat/";
  var es = new EventSource(base + "events");
  var seen = null;
  es.addEventListener("hello", function (e) {
    if (seen !== null && seen !== e.data) { window.location.reload(); }
    seen = e.data;
  });
  es.addEventListener("reload", function () { window.location.reload(); });
  es.addEventListener("css", function () {
    document.querySelectorAll('link[rel="stylesheet"]').forEach(function (l) {
      var u = new URL(l.href); u.searchParams.set("v", String(Date.now())); l.href = u.toString();
    });
  });
  es.addEventListener("error-page", function () { window.location.reload(); });
  document.addEventListener("click", function (e) {
    var t = e.target;
    if (t && t.closest && t.closest(".apparat-overlay-close")) {
      var o = document.getElementById("apparat-overlay");
      if (o) { o.hidden = true; }
    }
  });
})();
