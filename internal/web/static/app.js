// Ordo's only script: asks before destructive form posts. Pages work
// without it.
document.addEventListener("submit", function (ev) {
  var msg = ev.target.getAttribute("data-confirm");
  if (msg && !window.confirm(msg)) ev.preventDefault();
});

// Live updates: a page that marks a region with data-live="order" (the
// orders list, an order) refreshes that region from the server when the
// tenant's event stream reports an order change. Without JavaScript the
// page is the same, only not live.
(function () {
  var region = document.querySelector("[data-live]");
  if (!region || !window.EventSource) return;
  var pending = false;
  function refresh() {
    if (pending) return;
    pending = true;
    setTimeout(function () {
      fetch(window.location.href, { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) {
          pending = false;
          if (!html) return;
          var doc = new DOMParser().parseFromString(html, "text/html");
          var fresh = doc.querySelector("[data-live]");
          if (fresh) region.innerHTML = fresh.innerHTML;
        })
        .catch(function () { pending = false; });
    }, 150);
  }
  var es = new EventSource("/api/v1/events");
  ["order.created", "order.updated", "order.status_changed", "order.deleted"].forEach(function (type) {
    es.addEventListener(type, function (ev) {
      var only = region.getAttribute("data-live-id");
      if (only && ev.data.indexOf(only) < 0) return;
      refresh();
    });
  });
})();
