// Tổng hợp ngay: look at the compile's state every few seconds; when it changes, show it, and
// when it is finished reload the page (it lists the files or the reason). Without JavaScript
// the page's <noscript> meta refresh does the same.
(function () {
  "use strict";
  var box = document.getElementById("tien-do");
  if (!box || !box.dataset.poll) return;
  var every = (parseInt(box.dataset.every, 10) || 2) * 1000;
  var state = box.querySelector(".state b");
  function look() {
    fetch(box.dataset.poll, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (s) {
        if (s === null) { setTimeout(look, every * 2); return; }
        if (s.finished) { window.location.reload(); return; }
        if (state && state.textContent !== s.text) { window.location.reload(); return; }
        setTimeout(look, every);
      })
      .catch(function () { setTimeout(look, every * 2); });
  }
  setTimeout(look, every);
})();
