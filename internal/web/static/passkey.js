// Passkeys (WebAuthn) in the browser: the pages that offer them load this
// file, and it wires their buttons. The server sends the options of a
// ceremony as JSON with binary fields base64url-encoded; this turns them
// into the ArrayBuffers navigator.credentials wants, and the credential
// it returns back into JSON, and posts it. Requests are same-origin
// fetches with the session cookie: the server's cross-origin protection
// (Sec-Fetch-Site) is the CSRF defence, as for every other request.
//
// Markup:
//   <button data-passkey="register" data-name="#input">  the account page
//   <button data-passkey="login">                       /login (passwordless)
//   <button data-passkey="second-factor">               /login/two-factor
// with data-next (where to go after a sign-in) and an element
// [data-passkey-error] near it for failures (its data-* hold the texts).
(function () {
  if (!document.querySelector("[data-passkey]")) return;
  var supported = !!(window.PublicKeyCredential && navigator.credentials);

  function b64urlToBuf(s) {
    s = s.replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) s += "=";
    var bin = atob(s), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out.buffer;
  }
  function bufToB64url(buf) {
    var bytes = new Uint8Array(buf), bin = "";
    for (var i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function creationOptions(o) {
    o.challenge = b64urlToBuf(o.challenge);
    o.user.id = b64urlToBuf(o.user.id);
    (o.excludeCredentials || []).forEach(function (c) { c.id = b64urlToBuf(c.id); });
    return o;
  }
  function requestOptions(o) {
    o.challenge = b64urlToBuf(o.challenge);
    (o.allowCredentials || []).forEach(function (c) { c.id = b64urlToBuf(c.id); });
    return o;
  }

  // credentialJSON is PublicKeyCredential.toJSON(), written out for the
  // browsers that lack it.
  function credentialJSON(c) {
    var r = c.response, resp = { clientDataJSON: bufToB64url(r.clientDataJSON) };
    if (r.attestationObject) {
      resp.attestationObject = bufToB64url(r.attestationObject);
      if (r.getTransports) resp.transports = r.getTransports();
    } else {
      resp.authenticatorData = bufToB64url(r.authenticatorData);
      resp.signature = bufToB64url(r.signature);
      if (r.userHandle) resp.userHandle = bufToB64url(r.userHandle);
    }
    return {
      id: c.id, rawId: bufToB64url(c.rawId), type: c.type, response: resp,
      authenticatorAttachment: c.authenticatorAttachment || undefined,
      clientExtensionResults: c.getClientExtensionResults ? c.getClientExtensionResults() : {}
    };
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify(body || {})
    }).then(function (r) {
      return r.text().then(function (t) {
        var j = {};
        try { j = t ? JSON.parse(t) : {}; } catch (e) { j = {}; }
        if (!r.ok) {
          var fe = j.errors && j.errors[0];
          var err = new Error(fe ? fe.message : (j.detail || r.statusText));
          err.status = r.status;
          throw err;
        }
        return j;
      });
    });
  }

  function errorBox(b) {
    var scope = b.closest("[data-passkey-box], form, section, .card") || document;
    return scope.querySelector("[data-passkey-error]");
  }
  function show(b, err) {
    var box = errorBox(b);
    if (!box) return;
    // A cancelled or timed-out browser prompt is NotAllowedError: say so
    // plainly rather than the browser's own words.
    var text = err && err.name === "NotAllowedError" ? box.getAttribute("data-cancelled") :
      (err && err.status ? err.message : box.getAttribute("data-failed"));
    box.textContent = text || String(err);
    box.hidden = false;
  }

  function register(b) {
    var input = document.querySelector(b.getAttribute("data-name"));
    var name = input ? input.value.trim() : "";
    // The name is asked for before the authenticator is.
    if (input && !input.reportValidity()) return Promise.resolve();
    return post("/api/v1/me/passkeys/options").then(function (o) {
      return navigator.credentials.create({ publicKey: creationOptions(o.publicKey) });
    }).then(function (c) {
      return post("/api/v1/me/passkeys", { name: name, credential: credentialJSON(c) });
    }).then(function () {
      // The list is on this page: load it again (assigning the same
      // address with a #fragment would not).
      window.location.reload();
    });
  }

  // nextParam is the page's ?next= when it is a path of this site (as the
  // server's safeNext allows).
  function nextParam() {
    var n = new URLSearchParams(window.location.search).get("next") || "";
    return n.charAt(0) === "/" && n.charAt(1) !== "/" && n.charAt(1) !== "\\" ? n : "";
  }

  function login(b, secondFactor) {
    return post("/api/v1/auth/passkey/options", { second_factor: secondFactor }).then(function (o) {
      return navigator.credentials.get({ publicKey: requestOptions(o.publicKey) });
    }).then(function (c) {
      return post("/api/v1/auth/passkey", { credential: credentialJSON(c) });
    }).then(function () {
      window.location.assign(b.getAttribute("data-next") || nextParam() || "/app");
    });
  }

  // The add form is hidden where the browser has no passkeys.
  Array.prototype.forEach.call(document.querySelectorAll("[data-passkey-form]"), function (f) { f.hidden = !supported; });
  Array.prototype.forEach.call(document.querySelectorAll("[data-passkey]"), function (b) {
    if (!supported) { b.hidden = true; return; }
    b.hidden = false;
    b.addEventListener("click", function (ev) {
      ev.preventDefault();
      var box = errorBox(b);
      if (box) box.hidden = true;
      b.disabled = true;
      var kind = b.getAttribute("data-passkey");
      var p = kind === "register" ? register(b) : login(b, kind === "second-factor");
      p.catch(function (err) { show(b, err); }).then(function () { b.disabled = false; });
    });
  });
})();
