/**
 * The docs page's inline style, and the inline script of its try-it-out forms: parse the body, check it
 * against the channel's payload schema (the JSON Schema keywords validators emit for plain data), then post
 * it with the bearer token and show the answer.
 *
 * @module
 */

/** The page's style. */
export const PAGE_STYLE: string = [
  ":root{color-scheme:light;font:15px/1.5 system-ui,sans-serif;color:#123;background:#fafbfc}",
  "body{margin:0;display:grid;grid-template-columns:240px 1fr;min-height:100vh}",
  "header{grid-column:1/3;padding:16px 28px;background:#1d2b3a;color:#fff}",
  "header a{color:#bfe0ff}header .meta{color:#c8d2dc}",
  "h1{margin:0}h1 small{font-weight:400;opacity:.7}",
  "nav{padding:8px 16px;border-right:1px solid #dde}nav ul{padding-left:16px}",
  "main{padding:8px 28px 40px;min-width:0}",
  "table{border-collapse:collapse}td,th{border:1px solid #ccd;padding:4px 10px;text-align:left}",
  ".channel{background:#fff;border:1px solid #dde;border-radius:8px;padding:4px 18px 14px;margin:14px 0}",
  ".message{border-top:1px dashed #ccd;padding-top:4px}",
  ".pair{display:grid;grid-template-columns:1fr 1fr;gap:12px}",
  "pre{background:#f3f5f8;padding:8px;border-radius:6px;overflow:auto;font-size:12px;margin:0}",
  ".meta{color:#567;font-size:13px}.scroll{overflow:auto}",
  "svg.topology{width:100%;min-width:760px;height:auto}",
  "h4{margin:12px 0 4px}h5{margin:6px 0 2px}",
  "form.try{background:#f6f3ff;border-radius:8px;padding:8px 12px;margin-top:12px;display:grid;gap:6px}",
  "textarea{font:12px ui-monospace,monospace;width:100%;box-sizing:border-box}",
  "button{justify-self:start;padding:4px 14px}",
  ".result.error{color:#a00}.result.ok{color:#060}",
].join("\n");

/** The try-it-out script. */
export const PAGE_SCRIPT: string = `
"use strict";
function check(schema, value, path, errors) {
  if (!schema || typeof schema !== "object") return;
  var type = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : null;
  var kind = value === null ? "null" : Array.isArray(value) ? "array" : typeof value;
  if (type) {
    var ok = type.some(function (t) {
      return t === kind || (t === "integer" && kind === "number" && Number.isInteger(value)) ||
        (t === "number" && kind === "number");
    });
    if (!ok) { errors.push(path + " must be " + type.join(" or ") + ", got " + kind); return; }
  }
  if ("const" in schema && JSON.stringify(schema.const) !== JSON.stringify(value)) {
    errors.push(path + " must be " + JSON.stringify(schema.const));
  }
  if (schema.enum && !schema.enum.some(function (e) { return JSON.stringify(e) === JSON.stringify(value); })) {
    errors.push(path + " must be one of " + schema.enum.map(function (e) { return JSON.stringify(e); }).join(", "));
  }
  if (kind === "object") {
    (schema.required || []).forEach(function (name) {
      if (!(name in value)) errors.push(path + "." + name + " is required");
    });
    var props = schema.properties || {};
    Object.keys(value).forEach(function (name) {
      if (name in props) check(props[name], value[name], path + "." + name, errors);
      else if (schema.additionalProperties === false) errors.push(path + "." + name + " is not allowed");
    });
  }
  if (kind === "array" && schema.items) {
    value.forEach(function (item, i) { check(schema.items, item, path + "[" + i + "]", errors); });
  }
  if (kind === "string") {
    if (schema.minLength !== undefined && value.length < schema.minLength) errors.push(path + " is too short");
    if (schema.maxLength !== undefined && value.length > schema.maxLength) errors.push(path + " is too long");
    if (schema.pattern && !new RegExp(schema.pattern, "u").test(value)) errors.push(path + " must match " + schema.pattern);
  }
  if (kind === "number") {
    if (schema.minimum !== undefined && value < schema.minimum) errors.push(path + " must be >= " + schema.minimum);
    if (schema.maximum !== undefined && value > schema.maximum) errors.push(path + " must be <= " + schema.maximum);
  }
  if (schema.anyOf || schema.oneOf) {
    var options = schema.anyOf || schema.oneOf;
    var fits = options.some(function (o) { var e = []; check(o, value, path, e); return e.length === 0; });
    if (!fits) errors.push(path + " matches none of its allowed shapes");
  }
}
var token = document.getElementById("token");
token.value = sessionStorage.getItem("sluice-token") || "";
token.addEventListener("change", function () { sessionStorage.setItem("sluice-token", token.value); });
document.querySelectorAll("form.try").forEach(function (form) {
  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    var out = form.querySelector(".result");
    var show = function (text, ok) { out.textContent = text; out.className = "result " + (ok ? "ok" : "error"); };
    var body;
    try { body = JSON.parse(form.elements.body.value); } catch (e) { return show("Not JSON: " + e.message, false); }
    var errors = [];
    check(JSON.parse(form.dataset.schema), body, "body", errors);
    if (errors.length) return show("Not sent:\\n" + errors.join("\\n"), false);
    var channel = form.dataset.channel.replace(/\\{([^}]+)\\}/g, function (_, name) {
      return form.elements["param:" + name].value;
    });
    show("Sending…", true);
    try {
      var response = await fetch(document.body.dataset.publish, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: "Bearer " + token.value },
        body: JSON.stringify({ channel: channel, body: body, request: form.elements.request.checked }),
      });
      var answer = await response.json();
      if (!response.ok) return show(response.status + ": " + (answer.error || "") +
        (answer.issues ? "\\n" + answer.issues.join("\\n") : ""), false);
      show(answer.reply !== undefined ? "Reply:\\n" + JSON.stringify(answer.reply, null, 2)
        : "Published to " + answer.channel + " (correlation id " + answer.correlationId + ")", true);
    } catch (e) { show("Failed: " + e.message, false); }
  });
});
`;
