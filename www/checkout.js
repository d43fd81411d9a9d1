/*
 * Checkout Edge loader: one script tag puts the checkout in a web shop's page.
 *
 *   <div id="pay"></div>
 *   <script src="https://EDGE/checkout.js" data-client-secret="sess_…_secret_…" data-target="#pay"></script>
 *
 * It inserts an iframe of the hosted checkout (/pay/{client_secret}) served from the edge's own
 * origin, so nothing of the payment runs in the shop's page. The iframe reports to this page
 * only through postMessage, which is accepted only from the edge's origin and that iframe:
 *   - "resize": the iframe takes the checkout's height (no inner scrollbar);
 *   - "ready" and "status": re-dispatched on the target element as the DOM events
 *     `checkout:ready` and `checkout:status` (event.detail.status: open, paid, expired,
 *     canceled, failed).
 * Optional attributes: data-lang ("en" | "zh"), data-accent, data-bg, data-fg, data-radius,
 * data-font (theme CSS values), data-method-order ("session": on phones too, the wallets in the
 * session's order rather than those that work on the phone first).
 * Written in the oldest JavaScript (no `let`, arrow functions or newer DOM calls): it runs in
 * the shop's page, whatever browser or webview that is (docs/browsers.md). A paid status here is for the UI only: the shop must wait for
 * its signed webhook before treating the order as paid.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.src) return;
  var edge = new URL(script.src).origin;
  var clientSecret = script.getAttribute("data-client-secret");
  var selector = script.getAttribute("data-target");

  function start() {
    var target = selector ? document.querySelector(selector) : null;
    if (!target || !clientSecret) {
      console.error("checkout.js: data-client-secret and a data-target matching an element are required");
      return;
    }
    var params = new URLSearchParams();
    params.set("origin", window.location.origin);
    ["lang", "accent", "bg", "fg", "radius", "font"].forEach(function (name) {
      var value = script.getAttribute("data-" + name);
      if (value) params.set(name, value);
    });
    var order = script.getAttribute("data-method-order");
    if (order) params.set("method_order", order);

    var iframe = document.createElement("iframe");
    iframe.src = edge + "/pay/" + encodeURIComponent(clientSecret) + "?" + params.toString();
    iframe.title = "收银台 Checkout";
    iframe.setAttribute("data-checkout-edge", "");
    // CSSOM, not a style attribute: works under the shop's strict CSP too.
    iframe.style.display = "block";
    iframe.style.width = "100%";
    iframe.style.height = "520px";
    iframe.style.border = "0";
    iframe.style.colorScheme = "normal";
    while (target.firstChild) target.removeChild(target.firstChild);
    target.appendChild(iframe);

    window.addEventListener("message", function (event) {
      if (event.origin !== edge || event.source !== iframe.contentWindow) return;
      var data = event.data;
      if (!data || data.source !== "checkout-edge") return;
      if (data.type === "resize") {
        var height = Number(data.height);
        if (height > 0 && height < 10000) iframe.style.height = Math.ceil(height) + "px";
      } else if (data.type === "ready") {
        target.dispatchEvent(new CustomEvent("checkout:ready", { bubbles: true }));
      } else if (data.type === "status" && typeof data.status === "string") {
        target.dispatchEvent(new CustomEvent("checkout:status", { bubbles: true, detail: { status: data.status } }));
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
