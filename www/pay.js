// The hosted checkout page (/pay/{client_secret}): decides whether this browser can run the
// widget and, if it can, starts it (pay-start.js mounts it into #checkout); if it cannot, says so
// in words beside whatever the page already shows (the QR the edge drew stays usable).
//
// A classic script in the oldest JavaScript on purpose (no modules, no `let`, no arrow
// functions): it must parse in every browser and webview that may open a payment link, so the
// shopper of an old one reads why nothing more happens instead of a page that never finishes.
// docs/browsers.md says which browsers run the widget and why.
(function () {
  "use strict";
  var root = document.getElementById("checkout");
  if (!root) return;
  var match = location.pathname.match(/^\/pay\/([^\/]+)\/?$/);

  // The smallest module using reference types (`ref.null extern`), the newest WebAssembly
  // feature the widget's module needs (Rust ≥ 1.82 emits it with bulk memory, sign extension,
  // non-trapping conversions and multi-value, which came earlier everywhere): Chrome 96,
  // Safari / iOS 15, Firefox 79.
  var NEEDED = [0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 10, 7, 1, 5, 0, 208, 111, 26, 11];

  function canRun() {
    try {
      return typeof WebAssembly === "object" &&
        WebAssembly.validate(new Uint8Array(NEEDED)) &&
        "noModule" in document.createElement("script") &&
        typeof Promise === "function";
    } catch (_) {
      return false;
    }
  }

  // Says `text` in place of the loading line, after the QR the edge drew if there is one: that
  // code is the page's own (no script needed) and the shopper can still scan it.
  function say(zh, en, id) {
    var drawn = root.querySelector('[data-testid="qr-first-paint"]');
    var p = document.createElement("p");
    p.className = "ce-unsupported";
    p.setAttribute("role", "alert");
    p.setAttribute("data-testid", id);
    p.appendChild(document.createTextNode(zh));
    p.appendChild(document.createElement("br"));
    p.appendChild(document.createTextNode(en));
    if (drawn) {
      // Until now the widget's screen was to replace it; now it is the screen.
      drawn.removeAttribute("aria-hidden");
      p.appendChild(document.createElement("br"));
      p.appendChild(document.createTextNode(
        "二维码仍可使用：请用另一台手机扫码付款。The QR code still works: scan it with another phone."));
      var old = document.getElementById("ce-unsupported");
      if (old) old.parentNode.removeChild(old);
      p.id = "ce-unsupported";
      root.appendChild(p);
    } else {
      while (root.firstChild) root.removeChild(root.firstChild);
      root.appendChild(p);
    }
  }

  function loadFailed() {
    say("收银台加载失败，请刷新页面或更换浏览器。",
      "The checkout could not load. Reload the page or try another browser.", "error");
  }

  if (!match) {
    say("支付链接无效。", "This payment link is not valid.", "error");
    return;
  }
  if (!canRun()) {
    say("此浏览器无法运行收银台：需要 WebAssembly 和 JavaScript 模块（Chrome 96、iOS 15 或更新版本）。",
      "This browser cannot run the checkout: it needs WebAssembly and JavaScript modules (Chrome 96, iOS 15 or newer).",
      "unsupported");
    return;
  }
  // pay-start.js tells of a widget that did not start (its download blocked, or it failed).
  document.addEventListener("checkout:failed", loadFailed);
  var start = document.createElement("script");
  start.type = "module";
  start.src = "/pay-start.js";
  start.onerror = loadFailed;
  document.head.appendChild(start);
})();
