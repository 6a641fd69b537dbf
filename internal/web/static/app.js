// Ordo's only script: asks before destructive form posts. Pages work
// without it.
document.addEventListener("submit", function (ev) {
  var msg = ev.target.getAttribute("data-confirm");
  if (msg && !window.confirm(msg)) ev.preventDefault();
});

// Live updates: a page that marks a region with data-live (the orders
// list, an order, the exports) refreshes that region from the server when
// the tenant's event stream reports one of its data-live-events. Without JavaScript the
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
  window.ordoRefresh = refresh;
  var es = new EventSource("/api/v1/events");
  (region.getAttribute("data-live-events") || "").split(" ").filter(Boolean).forEach(function (type) {
    es.addEventListener(type, function (ev) {
      var only = region.getAttribute("data-live-id");
      if (only && ev.data.indexOf(only) < 0) return;
      refresh();
    });
  });
})();

// Attachments: drag-and-drop (or choose) files on an order page; each goes
// straight to storage through a presigned URL, with a real progress bar,
// then is confirmed. Handlers are delegated from the document, because
// live updates replace the drop zone's HTML.
(function () {
  function zoneOf(el) { return el && el.closest ? el.closest("[data-upload-order]") : null; }

  function row(zone, name) {
    var div = document.createElement("div");
    div.className = "upload-row";
    var label = document.createElement("span");
    label.textContent = name;
    var bar = document.createElement("progress");
    bar.max = 100;
    bar.value = 0;
    div.appendChild(label);
    div.appendChild(bar);
    zone.querySelector(".uploads").appendChild(div);
    return { label: label, bar: bar };
  }

  function json(method, url, body) {
    return fetch(url, {
      method: method, credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: body ? JSON.stringify(body) : undefined
    }).then(function (r) {
      return r.json().then(function (j) {
        if (!r.ok) throw new Error((j.errors && j.errors[0] && j.errors[0].message) || j.detail || r.statusText);
        return j;
      });
    });
  }

  function send(zone, file) {
    var ui = row(zone, file.name);
    var type = file.type || "application/octet-stream";
    json("POST", "/api/v1/uploads/presign", { filename: file.name, content_type: type, size: file.size, order_id: zone.getAttribute("data-upload-order") })
      .then(function (p) {
        return new Promise(function (resolve, reject) {
          var xhr = new XMLHttpRequest();
          xhr.open(p.upload.method, p.upload.url);
          Object.keys(p.upload.headers).forEach(function (k) {
            if (k.toLowerCase() !== "content-length" && k.toLowerCase() !== "host") xhr.setRequestHeader(k, p.upload.headers[k]);
          });
          xhr.upload.onprogress = function (e) { if (e.lengthComputable) ui.bar.value = Math.round(100 * e.loaded / e.total); };
          xhr.onload = function () { xhr.status < 300 ? resolve(p) : reject(new Error("storage refused the upload (" + xhr.status + ")")); };
          xhr.onerror = function () { reject(new Error("network error (check the bucket's CORS settings)")); };
          xhr.send(file);
        });
      })
      .then(function (p) { return json("POST", "/api/v1/attachments/" + p.attachment.id + "/complete"); })
      .then(function () {
        ui.bar.value = 100;
        ui.label.textContent = file.name + " ✓";
        // Refresh the order's part of the page (the event stream does it
        // too); reload only where live updates are unavailable.
        if (window.ordoRefresh) window.ordoRefresh(); else window.location.reload();
      })
      .catch(function (err) { ui.label.textContent = file.name + ": " + err.message; ui.bar.remove(); });
  }

  document.addEventListener("change", function (e) {
    var zone = zoneOf(e.target);
    if (!zone || e.target.type !== "file") return;
    Array.prototype.forEach.call(e.target.files, function (f) { send(zone, f); });
    e.target.value = "";
  });
  document.addEventListener("dragover", function (e) {
    var zone = zoneOf(e.target);
    if (zone) { e.preventDefault(); zone.classList.add("over"); }
  });
  document.addEventListener("dragleave", function (e) {
    var zone = zoneOf(e.target);
    if (zone) zone.classList.remove("over");
  });
  document.addEventListener("drop", function (e) {
    var zone = zoneOf(e.target);
    if (!zone) return;
    e.preventDefault();
    zone.classList.remove("over");
    Array.prototype.forEach.call(e.dataTransfer.files, function (f) { send(zone, f); });
  });
})();
