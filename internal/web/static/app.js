// Ordo's only script. Pages work without it: each section below is an
// independent enhancement, in its own function scope.

// Confirmation: forms marked data-confirm (delete, revoke, remove, cancel)
// ask before they post.
document.addEventListener("submit", function (ev) {
  var msg = ev.target.getAttribute("data-confirm");
  if (msg && !window.confirm(msg)) ev.preventDefault();
});

// App shell: the sidebar is a <details> that CSS keeps open on wide
// screens and shows behind a menu button on phones. Browsers that cannot
// style a closed <details> get it opened here on wide screens; Escape and a
// click elsewhere close the open menus (the phone drawer, the tenant
// switcher). The language chooser sends itself when changed.
(function () {
  var drawer = document.querySelector("[data-drawer]");
  var wide = window.matchMedia("(min-width: 769px)");
  function fit() { if (drawer && wide.matches) drawer.open = true; }
  fit();
  if (wide.addEventListener) wide.addEventListener("change", function () { if (drawer) drawer.open = wide.matches; });
  function closeMenus(except) {
    Array.prototype.forEach.call(document.querySelectorAll("details.switcher[open]"), function (d) { if (d !== except && !d.contains(except)) d.open = false; });
    if (drawer && drawer.open && !wide.matches && (!except || !drawer.contains(except))) drawer.open = false;
  }
  document.addEventListener("click", function (ev) { closeMenus(ev.target.closest ? ev.target.closest("details") : null); });
  document.addEventListener("keydown", function (ev) {
    if (ev.key !== "Escape") return;
    var open = document.querySelector("details.switcher[open]") || (drawer && drawer.open && !wide.matches ? drawer : null);
    if (!open) return;
    open.open = false;
    open.querySelector("summary").focus();
  });
  Array.prototype.forEach.call(document.querySelectorAll("form[data-autosubmit]"), function (form) {
    Array.prototype.forEach.call(form.querySelectorAll("[data-js-hide]"), function (el) { el.hidden = true; });
    form.addEventListener("change", function () { form.submit(); });
  });
})();

// Copy buttons: <button class="copy" data-copy="#id" hidden> copies the
// element's text (a new API key, a webhook secret) and says "Copied"
// through the page's live region. Hidden without JavaScript, where the
// text is selected by hand.
(function () {
  var announce = document.getElementById("announce");
  function say(key) {
    if (!announce) return;
    announce.textContent = "";
    setTimeout(function () { announce.textContent = announce.getAttribute(key) || ""; }, 50);
  }
  Array.prototype.forEach.call(document.querySelectorAll("button.copy[data-copy]"), function (b) { b.hidden = false; });
  document.addEventListener("click", function (ev) {
    var b = ev.target.closest ? ev.target.closest("button.copy[data-copy]") : null;
    if (!b) return;
    var el = document.querySelector(b.getAttribute("data-copy"));
    if (!el) return;
    var text = el.textContent.trim();
    var done = function () {
      b.classList.add("done");
      say("data-copied");
      setTimeout(function () { b.classList.remove("done"); }, 2000);
    };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text).then(done, function () { say("data-copy-failed"); });
    } else {
      say("data-copy-failed");
    }
  });
})();

// Sortable tables: each <th data-sort> of a small list (all its rows on
// one page) gets a button that sorts the rows by that column, in place;
// aria-sort says the order. A cell's data-value, if any, is what it sorts
// by (a date's ISO time, a size in bytes); data-sort="num" compares
// numbers. Rows with class "sub" stay under the row above them. Without
// JavaScript the server's order stands.
(function () {
  var announce = document.getElementById("announce");
  var label = announce ? announce.getAttribute("data-sort-label") || "%s" : "%s";
  function value(row, i) {
    var c = row.cells[i];
    if (!c) return "";
    return c.hasAttribute("data-value") ? c.getAttribute("data-value") : c.textContent.trim();
  }
  Array.prototype.forEach.call(document.querySelectorAll("table"), function (table) {
    var heads = table.querySelectorAll("thead th[data-sort]");
    if (!heads.length || !table.tBodies.length) return;
    Array.prototype.forEach.call(heads, function (th) {
      var b = document.createElement("button");
      b.type = "button";
      b.className = "sort";
      while (th.firstChild) b.appendChild(th.firstChild);
      b.setAttribute("aria-label", label.replace("%s", b.textContent.trim()));
      th.appendChild(b);
      if (!th.hasAttribute("aria-sort")) th.setAttribute("aria-sort", "none");
      b.addEventListener("click", function () {
        var i = th.cellIndex;
        var dir = th.getAttribute("aria-sort") === "ascending" ? "descending" : "ascending";
        Array.prototype.forEach.call(heads, function (h) { h.setAttribute("aria-sort", "none"); });
        th.setAttribute("aria-sort", dir);
        var num = th.getAttribute("data-sort") === "num";
        var body = table.tBodies[0], groups = [];
        Array.prototype.forEach.call(body.rows, function (r) {
          if (r.classList.contains("sub") && groups.length) groups[groups.length - 1].push(r);
          else groups.push([r]);
        });
        var coll = new Intl.Collator(document.documentElement.lang || undefined, { numeric: true, sensitivity: "base" });
        groups.sort(function (a, b) {
          var x = value(a[0], i), y = value(b[0], i), c;
          if (num) c = (parseFloat(x) || 0) - (parseFloat(y) || 0);
          else c = coll.compare(x, y);
          return dir === "ascending" ? c : -c;
        });
        groups.forEach(function (g) { g.forEach(function (r) { body.appendChild(r); }); });
      });
    });
  });
})();

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
