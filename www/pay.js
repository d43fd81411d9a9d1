// The hosted checkout page (/pay/{client_secret}): mounts the widget into #checkout.
// A separate file rather than an inline script, so the page works under a strict CSP.
// The widget is loaded from where the page preloads it: the edge names the built version's
// directory there (/pkg/v/{hash}/widget.js, kept by browsers for a year).
const preloaded = document.querySelector('link[rel="modulepreload"]');
const widgetUrl = preloaded ? preloaded.href : "/pkg/widget.js";

const root = document.getElementById("checkout");
const match = location.pathname.match(/^\/pay\/([^/]+)\/?$/);

function fail(text) {
  const p = document.createElement("p");
  p.className = "ce-boot";
  p.setAttribute("role", "alert");
  p.setAttribute("data-testid", "error");
  p.textContent = text;
  root.replaceChildren(p);
}

if (!match) {
  fail("支付链接无效。This payment link is not valid.");
} else {
  try {
    const { default: init, mount } = await import(widgetUrl);
    await init();
    mount("checkout", decodeURIComponent(match[1]));
  } catch (_) {
    // Old browsers without WebAssembly, or a blocked download: say so instead of a blank page.
    fail("收银台加载失败，请刷新页面或更换浏览器。The checkout could not load. Reload the page or try another browser.");
  }
}
