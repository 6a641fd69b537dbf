// Starts Redoc on the API reference page (/api/v1/docs). The page's CSP
// allows <style> elements only with this response's nonce, which this
// script's tag carries: Redoc marks the styles it writes with it.
(function () {
  var nonce = document.currentScript && document.currentScript.nonce;
  var el = document.getElementById("redoc");
  if (!el || !window.Redoc) return;
  window.Redoc.init(el.getAttribute("data-spec-url"), {
    nonce: nonce,
    // Every component schema gets a section of its own, under "Schemas".
    schemaDefinitionsTagName: "Schemas",
    expandResponses: "200,201",
    requiredPropsFirst: true,
    sortPropsAlphabetically: false,
    pathInMiddlePanel: true
  }, el);
})();
