// apparat serve: live reload (injected in serve mode only).
(function () {
  "use strict";
  var base = document.currentScript ? document.currentScript.src.replace(/reload\.js.*$/, "") : "/__apparat/";
  var es = new EventSource(base + "events");
  es.addEventListener("reload", function () { window.location.reload(); });
  es.addEventListener("css", function () {
    document.querySelectorAll('link[rel="stylesheet"]').forEach(function (l) {
      var u = new URL(l.href); u.searchParams.set("v", String(Date.now())); l.href = u.toString();
    });
  });
  es.addEventListener("error-page", function () { window.location.reload(); });
})();
