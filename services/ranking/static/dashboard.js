// hallscore dashboard: load a unit's panel in place when a unit is clicked.
// Vanilla JS served by the ranking service itself: no CDN, no build step.
(function () {
  "use strict";
  var panel = document.getElementById("panel");
  if (!panel) { return; }
  function select(link) {
    var all = document.querySelectorAll("a.unit-link.selected");
    for (var i = 0; i < all.length; i++) { all[i].classList.remove("selected"); }
    link.classList.add("selected");
  }
  document.addEventListener("click", function (ev) {
    var link = ev.target.closest ? ev.target.closest("a.unit-link") : null;
    if (!link || ev.ctrlKey || ev.metaKey || ev.shiftKey) { return; }
    ev.preventDefault();
    select(link);
    panel.setAttribute("aria-busy", "true");
    fetch(link.getAttribute("data-panel"), { headers: { "Accept": "text/html" } })
      .then(function (r) {
        return r.text().then(function (html) { return { ok: r.ok, status: r.status, html: html }; });
      })
      .then(function (res) {
        if (res.ok) {
          panel.innerHTML = res.html;
        } else {
          panel.textContent = "加载失败（" + res.status + "），请刷新后重试。";
        }
        if (window.history && window.history.replaceState) {
          window.history.replaceState(null, "", link.getAttribute("href"));
        }
      })
      .catch(function () { panel.textContent = "网络错误，请稍后再试。"; })
      .then(function () { panel.removeAttribute("aria-busy"); });
  });
})();
