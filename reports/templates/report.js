"use strict";
(function () {
  var data = null;
  var index = null;

  function load() {
    if (data === null) {
      var el = document.getElementById("poq-data");
      data = el ? JSON.parse(el.textContent) : { exchanges: [], notifications: [] };
      index = new Map();
      data.exchanges.forEach(function (e) { index.set(e.id, e); });
      data.notifications.forEach(function (n) { index.set(n.id, n); });
    }
    return data;
  }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  // Indent JSON text without parsing it, so a body cut short still reads well.
  function pretty(text) {
    var out = [], depth = 0, inStr = false, esc = false, i, c;
    function nl() { out.push("\n" + "  ".repeat(depth)); }
    for (i = 0; i < text.length; i++) {
      c = text[i];
      if (inStr) {
        out.push(c);
        if (esc) { esc = false; } else if (c === "\\") { esc = true; } else if (c === '"') { inStr = false; }
        continue;
      }
      if (c === '"') { inStr = true; out.push(c); }
      else if (c === "{" || c === "[") {
        var close = c === "{" ? "}" : "]";
        if (text[i + 1] === close) { out.push(c + close); i++; continue; }
        depth++; out.push(c); nl();
      } else if (c === "}" || c === "]") { depth = Math.max(0, depth - 1); nl(); out.push(c); }
      else if (c === ",") { out.push(c); nl(); }
      else if (c === ":") { out.push(": "); }
      else { out.push(c); }
    }
    return out.join("");
  }

  function headers(h) {
    var table = el("table", "hdrs");
    Object.keys(h || {}).forEach(function (k) {
      var tr = el("tr");
      tr.appendChild(el("th", null, k));
      tr.appendChild(el("td", null, typeof h[k] === "string" ? h[k] : JSON.stringify(h[k])));
      table.appendChild(tr);
    });
    return table;
  }

  function body(part) {
    var box = el("div", "body");
    if (part.body === null || part.body === undefined) {
      box.appendChild(el("p", "nobody", "(no body)"));
      return box;
    }
    var looksJson = part.json || /^\s*[\[{]/.test(part.body);
    box.appendChild(el("pre", "json", looksJson ? pretty(part.body) : part.body));
    if (part.cut) {
      box.appendChild(el("p", "cut", "[truncated: showing " + part.body.length + " of " +
        part.size + " characters]"));
    }
    return box;
  }

  function side(title, extra, h, part) {
    var s = el("section", "side");
    s.appendChild(el("h4", null, title + (extra ? " " + extra : "")));
    s.appendChild(headers(h));
    s.appendChild(body(part));
    return s;
  }

  function renderRecord(rec) {
    var wrap = el("div", "record");
    if (rec.method !== undefined) {
      var line = el("p", "line");
      line.appendChild(el("b", null, rec.method));
      line.appendChild(document.createTextNode(" " + rec.url));
      var meta = [];
      if (rec.started) { meta.push(rec.started); }
      if (rec.latency_ms !== null && rec.latency_ms !== undefined) { meta.push(rec.latency_ms + " ms"); }
      if (rec.test) { meta.push(rec.test); }
      wrap.appendChild(line);
      wrap.appendChild(el("p", "sub", meta.join(" | ")));
      if (rec.error) { wrap.appendChild(el("p", "err", "error: " + rec.error)); }
      if (rec.truncated) { wrap.appendChild(el("p", "cut", "[the harness truncated this exchange when recording it]")); }
      var cols = el("div", "sides");
      cols.appendChild(side("Request", "", rec.request.headers, rec.request));
      cols.appendChild(side("Response", rec.response.status === null || rec.response.status === undefined ? "" : String(rec.response.status), rec.response.headers, rec.response));
      wrap.appendChild(cols);
    } else {
      var nline = el("p", "line");
      nline.appendChild(el("b", null, "Notification"));
      nline.appendChild(document.createTextNode(" " + rec.path));
      wrap.appendChild(nline);
      wrap.appendChild(el("p", "sub", [rec.received, rec.test].filter(Boolean).join(" | ")));
      wrap.appendChild(side("Received", "", rec.headers, rec));
    }
    return wrap;
  }

  function expand(details) {
    if (details.dataset.built) { return; }
    details.dataset.built = "1";
    load();
    var target = details.querySelector(".ev-body") || details;
    var rec = index.get(details.dataset.ref);
    target.appendChild(rec ? renderRecord(rec) : el("p", "err", "not recorded in this document"));
  }

  document.addEventListener("toggle", function (ev) {
    var t = ev.target;
    if (t && t.classList && t.classList.contains("ev") && t.open) { expand(t); }
  }, true);
  Array.prototype.forEach.call(document.querySelectorAll("details.ev[open]"), expand);

  // Filters of the requirement matrix.
  var form = document.getElementById("filters");
  function applyFilters() {
    var statuses = {};
    Array.prototype.forEach.call(form.querySelectorAll("input[name=status]"), function (b) {
      statuses[b.value] = b.checked;
    });
    var level = document.getElementById("f-level").value;
    var uc = document.getElementById("f-uc").value;
    var words = document.getElementById("f-text").value.toLowerCase().split(/\s+/).filter(Boolean);
    var shown = new Set(), all = new Set();
    Array.prototype.forEach.call(document.querySelectorAll(".group"), function (g) {
      var visible = 0;
      var inUc = !uc || g.dataset.uc === uc;
      Array.prototype.forEach.call(g.querySelectorAll("tr.req"), function (row) {
        all.add(row.dataset.id);
        var ok = inUc && statuses[row.dataset.status] !== false &&
          (!level || row.dataset.level === level) &&
          words.every(function (w) { return row.dataset.text.indexOf(w) !== -1; });
        row.hidden = !ok;
        if (ok) { visible++; shown.add(row.dataset.id); }
      });
      g.hidden = visible === 0;
    });
    document.getElementById("f-count").textContent =
      shown.size + " of " + all.size + " requirements shown";
  }
  if (form) {
    form.addEventListener("submit", function (ev) { ev.preventDefault(); });
    form.addEventListener("input", applyFilters);
    form.addEventListener("change", applyFilters);
    applyFilters();
  }
  Array.prototype.forEach.call(document.querySelectorAll(".card[data-status]"), function (card) {
    card.addEventListener("click", function () {
      Array.prototype.forEach.call(form.querySelectorAll("input[name=status]"), function (b) {
        b.checked = b.value === card.dataset.status;
      });
      applyFilters();
      document.getElementById("matrix").scrollIntoView();
    });
  });

  // Paged list of every recorded exchange and notification, built only when opened.
  var PAGE = 50, page = 0, all = document.getElementById("all-exchanges");
  function records() { var d = load(); return d.exchanges.concat(d.notifications); }
  function showPage() {
    var recs = records(), list = document.getElementById("pg-list");
    var pages = Math.max(1, Math.ceil(recs.length / PAGE));
    page = Math.min(Math.max(page, 0), pages - 1);
    list.textContent = "";
    recs.slice(page * PAGE, page * PAGE + PAGE).forEach(function (rec) {
      var d = el("details", "ev");
      d.dataset.ref = rec.id;
      var label = rec.method !== undefined
        ? rec.id + ": " + rec.method + " " + rec.url + (rec.response.status ? " -> " + rec.response.status : "")
        : rec.id + ": notification " + rec.path;
      d.appendChild(el("summary", null, label));
      d.appendChild(el("div", "ev-body"));
      list.appendChild(d);
    });
    document.getElementById("pg-info").textContent = "page " + (page + 1) + " of " + pages;
  }
  if (all) {
    all.addEventListener("toggle", function () { if (all.open) { showPage(); } });
    document.getElementById("pg-prev").addEventListener("click", function () { page--; showPage(); });
    document.getElementById("pg-next").addEventListener("click", function () { page++; showPage(); });
  }
}());
