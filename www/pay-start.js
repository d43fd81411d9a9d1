// Mounts the widget into the hosted page's #checkout; pay.js loads this module only in a
// browser that can run the widget. The widget comes from where the page preloads it: the edge
// names the built version's directory there (/pkg/v/{hash}/widget.js, kept by browsers for a
// year). No top-level `await`, so this parses wherever modules and `import()` do.
var preloaded = document.querySelector('link[rel="modulepreload"][href$="/widget.js"]');
var widgetUrl = preloaded ? preloaded.href : "/pkg/widget.js";
var match = location.pathname.match(/^\/pay\/([^/]+)\/?$/);

function failed() {
  document.dispatchEvent(new CustomEvent("checkout:failed"));
}

if (match) {
  import(widgetUrl)
    .then(function (widget) {
      return widget.default().then(function () {
        widget.mount("checkout", decodeURIComponent(match[1]));
      });
    })
    .catch(failed);
}
