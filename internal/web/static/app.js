// Ordo's only script: asks before destructive form posts. Pages work
// without it.
document.addEventListener("submit", function (ev) {
  var msg = ev.target.getAttribute("data-confirm");
  if (msg && !window.confirm(msg)) ev.preventDefault();
});

// Live updates: a page that marks a region with data-live (the orders
// list, an order, its invoice, the exports) refreshes that region from the
// server when the tenant's event stream reports one of its
// data-live-events. Regions may nest: each is found again by its name
// when refreshed, since refreshing an outer one replaces the inner one. A
// region showing background work (an element with data-live-wait) is
// refreshed once when the stream opens, in case the work finished before
// the stream started. Without JavaScript the page is the same, only not
// live.
(function () {
  var regions = document.querySelectorAll("[data-live]");
  if (!regions.length || !window.EventSource) return;
  function find(root, name) { return root.querySelector('[data-live="' + name + '"]'); }
  var pending = {};
  function refresh(name) {
    if (pending[name]) return;
    pending[name] = true;
    setTimeout(function () {
      fetch(window.location.href, { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) {
          pending[name] = false;
          if (!html) return;
          var doc = new DOMParser().parseFromString(html, "text/html");
          var fresh = find(doc, name), here = find(document, name);
          if (fresh && here) here.innerHTML = fresh.innerHTML;
        })
        .catch(function () { pending[name] = false; });
    }, 150);
  }
  var first = regions[0].getAttribute("data-live");
  window.ordoRefresh = function () { refresh(first); };
  var es = new EventSource("/api/v1/events");
  Array.prototype.forEach.call(regions, function (region) {
    var name = region.getAttribute("data-live");
    (region.getAttribute("data-live-events") || "").split(" ").filter(Boolean).forEach(function (type) {
      es.addEventListener(type, function (ev) {
        var here = find(document, name);
        var only = here && here.getAttribute("data-live-id");
        if (!here || (only && ev.data.indexOf(only) < 0)) return;
        refresh(name);
      });
    });
  });
  // data-live-open on <html> says the stream is connected (tests wait
  // for it before they cause an event).
  es.addEventListener("error", function () { document.documentElement.removeAttribute("data-live-open"); });
  es.addEventListener("open", function () {
    document.documentElement.setAttribute("data-live-open", "");
    Array.prototype.forEach.call(regions, function (region) {
      var name = region.getAttribute("data-live");
      var here = find(document, name);
      if (here && here.querySelector("[data-live-wait]")) refresh(name);
    });
  });
})();

// Colour fields: a text field (the value sent, which works without
// JavaScript) gets a colour picker kept in step with it.
(function () {
  var hex = /^#[0-9a-fA-F]{6}$/;
  Array.prototype.forEach.call(document.querySelectorAll("[data-color-for]"), function (pick) {
    var text = document.getElementById(pick.getAttribute("data-color-for"));
    if (!text) return;
    pick.value = hex.test(text.value) ? text.value.toLowerCase() : (pick.getAttribute("data-default") || "#000000");
    pick.hidden = false;
    pick.addEventListener("input", function () { text.value = pick.value; });
    text.addEventListener("input", function () { if (hex.test(text.value)) pick.value = text.value.toLowerCase(); });
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

  // problemText makes a readable line of a failed response: an RFC 9457
  // problem's detail (Ordo, local-disk uploads), an S3 error's Message, or
  // the status line.
  function problemText(status, statusText, body) {
    var msg = "";
    try {
      var j = JSON.parse(body);
      var fe = j.errors && j.errors[0];
      msg = fe ? (fe.field ? fe.field + " " : "") + fe.message : (j.detail || "");
    } catch (e) {
      var m = /<Message>([^<]*)<\/Message>/.exec(body || "");
      if (m) msg = m[1];
    }
    return status + " " + (statusText || "") + (msg ? ": " + msg : "");
  }

  function json(method, url, body) {
    return fetch(url, {
      method: method, credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: body ? JSON.stringify(body) : undefined
    }).then(function (r) {
      return r.text().then(function (t) {
        if (!r.ok) throw new Error(problemText(r.status, r.statusText, t));
        return t ? JSON.parse(t) : {};
      });
    });
  }

  // put sends the file to the presigned URL. A network error is named by
  // where it went: with local-disk storage the URL is on this page's own
  // origin; with S3 it is the S3 server's public address, which browsers
  // must be able to reach and whose CORS must allow this page.
  function put(p, file, ui) {
    return new Promise(function (resolve, reject) {
      var target = new URL(p.upload.url, window.location.href);
      var xhr = new XMLHttpRequest();
      xhr.open(p.upload.method, target.href);
      Object.keys(p.upload.headers).forEach(function (k) {
        if (k.toLowerCase() !== "content-length" && k.toLowerCase() !== "host") xhr.setRequestHeader(k, p.upload.headers[k]);
      });
      xhr.upload.onprogress = function (e) { if (e.lengthComputable) ui.bar.value = Math.round(100 * e.loaded / e.total); };
      xhr.onload = function () {
        if (xhr.status < 300) resolve(p);
        else reject(new Error("upload refused: " + problemText(xhr.status, xhr.statusText, xhr.responseText)));
      };
      xhr.onerror = function () {
        if (target.origin === window.location.origin) reject(new Error("network error while uploading; try again"));
        else reject(new Error("could not reach the file storage at " + target.origin +
          " (S3_PUBLIC_ENDPOINT must be an address browsers can reach, and the bucket's CORS must allow " + window.location.origin + ")"));
      };
      xhr.send(file);
    });
  }

  function send(zone, file) {
    var ui = row(zone, file.name);
    var type = file.type || "application/octet-stream";
    var pending = null; // the attachment presigned for this file
    json("POST", "/api/v1/uploads/presign", { filename: file.name, content_type: type, size: file.size, order_id: zone.getAttribute("data-upload-order") })
      .then(function (p) { pending = p.attachment.id; return put(p, file, ui); })
      .then(function (p) { return json("POST", "/api/v1/attachments/" + p.attachment.id + "/complete"); })
      .then(function () {
        pending = null;
        ui.bar.value = 100;
        ui.label.textContent = file.name + " ✓";
        // Refresh the order's part of the page (the event stream does it
        // too); reload only where live updates are unavailable.
        if (window.ordoRefresh) window.ordoRefresh(); else window.location.reload();
      })
      .catch(function (err) {
        ui.label.textContent = file.name + ": " + err.message;
        ui.label.className = "upload-error";
        ui.label.setAttribute("role", "alert");
        ui.bar.remove();
        // Do not leave the pending attachment behind (the server sweeps
        // it later otherwise); its upload URL is spent with it.
        if (pending) json("DELETE", "/api/v1/attachments/" + pending).catch(function () {});
      });
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

// Forms: move focus to the error summary, so that a screen reader reads
// every error at once and a keyboard user starts from the list of links;
// item rows added from a <template> and removed in place (without
// JavaScript the Add item and Remove buttons post the form, and the
// server does the same).
(function () {
  "use strict";
  var summary = document.querySelector(".errors-summary");
  if (summary) summary.focus();

  var rows = document.querySelector("[data-item-rows]");
  var tmpl = document.getElementById("item-row-template");
  if (!rows || !tmpl) return;
  // Added rows are numbered past every index the page has used.
  var next = rows.querySelectorAll("[data-item-row]").length;
  document.addEventListener("click", function (e) {
    var add = e.target.closest("[data-add-row]");
    if (add) {
      e.preventDefault();
      var html = tmpl.innerHTML.replace(/__i__/g, String(next++));
      rows.insertAdjacentHTML("beforeend", html);
      var row = rows.lastElementChild;
      var first = row && row.querySelector("input:not([type=hidden])");
      if (first) first.focus();
      return;
    }
    var rm = e.target.closest("[data-remove-row]");
    if (rm && rows.contains(rm)) {
      e.preventDefault();
      var tr = rm.closest("[data-item-row]");
      var after = tr.nextElementSibling || tr.previousElementSibling;
      tr.remove();
      var focus = after && after.querySelector("input:not([type=hidden])");
      (focus || document.querySelector("[data-add-row]")).focus();
    }
  });
})();
