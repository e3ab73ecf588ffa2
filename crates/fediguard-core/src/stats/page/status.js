"use strict";
/* fediguard's status page: reads ?format=json every few seconds and
   refreshes the page the server rendered. Everything from the JSON goes
   into the page as text (textContent, setAttribute): never as markup. */
(function () {
  var body = document.body;
  var words = JSON.parse(body.dataset.words || "{}");
  var serverNow = Number(body.dataset.now) || Date.now() / 1000;
  var loadedAt = performance.now();
  var params = new URLSearchParams(location.search);
  var every = Math.min(60, Math.max(1, parseInt(params.get("refresh"), 10) || 5));
  var WINDOW = 300;
  var history = [];
  var SVGNS = "http://www.w3.org/2000/svg";

  function $(id) { return document.getElementById(id); }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function svg(tag, attrs) {
    var e = document.createElementNS(SVGNS, tag);
    Object.keys(attrs).forEach(function (k) { e.setAttribute(k, String(attrs[k])); });
    return e;
  }
  function grouped(n) {
    return String(Math.floor(Number(n) || 0)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  }
  function percent(part, whole) {
    if (!whole) return "\u2013";
    return (Math.round(part * 1000 / whole) / 10).toFixed(1) + " %";
  }
  function setText(id, text) { var e = $(id); if (e) e.textContent = text; }
  function now() { return serverNow + (performance.now() - loadedAt) / 1000; }
  function when(secs) {
    var iso = new Date(secs * 1000).toISOString();
    return iso.slice(0, 10) + " " + iso.slice(11, 16) + " UTC";
  }
  function ago(secs) {
    var d = Math.max(0, Math.floor(now() - secs));
    if (d < 60) return d + " s ago";
    if (d < 3600) return Math.floor(d / 60) + " min ago";
    if (d < 86400) return Math.floor(d / 3600) + " h ago";
    return Math.floor(d / 86400) + " days ago";
  }
  function bar(part, whole) {
    var w = whole ? Math.min(100, Math.max(0, part * 100 / whole)) : 0;
    var s = svg("svg", { "class": "bar", viewBox: "0 0 100 6", preserveAspectRatio: "none", "aria-hidden": "true" });
    s.appendChild(svg("rect", { "class": "track", width: 100, height: 6, rx: 3 }));
    s.appendChild(svg("rect", { "class": "fill", width: w.toFixed(1), height: 6, rx: 3 }));
    return s;
  }
  function numCell(n) { return el("td", "n", grouped(n)); }
  function rowHead(label, code, small) {
    var th = el("th");
    th.setAttribute("scope", "row");
    th.appendChild(document.createTextNode(label));
    if (code) { th.appendChild(document.createTextNode(" ")); th.appendChild(el("code", "", code)); }
    if (small) th.appendChild(el("small", "", small));
    return th;
  }
  function shareCell(n, total) {
    var td = el("td", "share");
    td.appendChild(bar(n, total));
    td.appendChild(el("span", "", percent(n, total)));
    return td;
  }
  /* Rows keep the order the server gave them; new keys go last. */
  var orders = {};
  function ordered(tbodyId, obj) {
    if (!orders[tbodyId]) {
      orders[tbodyId] = Array.prototype.map.call(
        $(tbodyId).querySelectorAll("tr[data-key]"), function (r) { return r.dataset.key; });
    }
    var order = orders[tbodyId];
    Object.keys(obj).sort().forEach(function (k) { if (order.indexOf(k) < 0) order.push(k); });
    return order.filter(function (k) { return Object.prototype.hasOwnProperty.call(obj, k); });
  }
  function replaceRows(tbodyId, rows) {
    var tb = $(tbodyId);
    while (tb.firstChild) tb.removeChild(tb.firstChild);
    rows.forEach(function (r) { tb.appendChild(r); });
  }
  function keyed(key, cls) {
    var tr = el("tr", cls);
    tr.dataset.key = key;
    return tr;
  }
  function lookup(table, key) { return (words[table] || {})[key]; }

  function tiles(d) {
    var denied = 0, dry = 0, rejected = 0;
    Object.keys(d.decisions).forEach(function (k) { denied += d.decisions[k].deny; dry += d.decisions[k].dry_run; });
    Object.keys(d.limit_zones).forEach(function (k) { rejected += d.limit_zones[k].rejected; });
    setText("n-denied", grouped(denied));
    setText("n-dryrun", grouped(dry));
    setText("n-limited", grouped(rejected));
    setText("n-apps", grouped(d.app_registrations));
    setText("n-grants", grouped(d.client_credentials_grants));
    var c = d.verdict_cache;
    setText("n-hitrate", c ? percent(c.hits, c.hits + c.misses) : "\u2013");
  }
  var colours = {};
  function decisions(d) {
    var keys = ordered("decisions-body", d.decisions);
    replaceRows("decisions-body", keys.map(function (k, i) {
      var w = lookup("reasons", k) || [k, ""];
      if (colours[k] === undefined) colours[k] = i % 8;
      var tr = keyed(k, d.decisions[k].deny + d.decisions[k].dry_run ? "" : "zero");
      var th = rowHead(w[0], k, w[1]);
      th.insertBefore(el("span", "swatch c" + colours[k]), th.firstChild);
      tr.appendChild(th);
      tr.appendChild(numCell(d.decisions[k].deny));
      tr.appendChild(numCell(d.decisions[k].dry_run));
      return tr;
    }));
  }
  function classes(tbodyId, obj, describe) {
    var total = 0;
    Object.keys(obj).forEach(function (k) { total += obj[k]; });
    replaceRows(tbodyId, ordered(tbodyId, obj).map(function (k) {
      var tr = keyed(k, obj[k] ? "" : "zero");
      var w = describe(k);
      tr.appendChild(rowHead(w[0], w[1], w[2]));
      tr.appendChild(numCell(obj[k]));
      tr.appendChild(shareCell(obj[k], total));
      return tr;
    }));
  }
  function verification(d) {
    var v = d.verifications;
    setText("v-started", grouped(v.started));
    setText("v-coalesced", grouped(v.coalesced));
    Object.keys(v.outcomes).forEach(function (o) { setText("v-" + o, grouped(v.outcomes[o])); });
    setText("v-backend-calls", grouped(v.backend_calls));
    setText("v-refused-budget", grouped(v.refused_budget));
    setText("v-refused-in-flight", grouped(v.refused_in_flight));
    setText("v-backend-throttled", grouped(v.backend_throttled));
    setText("v-backend-paused", grouped(v.backend_paused));
    var c = d.verdict_cache;
    var show = function (n) { return c ? grouped(n) : "\u2013"; };
    setText("c-hitrate", c ? percent(c.hits, c.hits + c.misses) : "\u2013");
    setText("c-hits", show(c && c.hits));
    setText("c-misses", show(c && c.misses));
    setText("c-entries", show(c && c.entries));
    setText("c-capacity", show(c && c.capacity));
    setText("c-evictions", show(c && c.evictions));
    var holder = $("c-bar");
    if (holder) { holder.textContent = ""; holder.appendChild(bar(c ? c.entries : 0, c ? c.capacity : 0)); }
  }
  function agentVerification(d) {
    var a = d.agent_verification;
    if (!a) return;
    var keys = Object.keys(a.claims);
    if (keys.length) {
      replaceRows("claims-body", keys.map(function (k) {
        var c = a.claims[k];
        var tr = keyed(k, c.yes + c.no + c.none ? "" : "zero");
        var th = el("th");
        th.setAttribute("scope", "row");
        th.textContent = k;
        tr.appendChild(th);
        tr.appendChild(numCell(c.yes));
        tr.appendChild(numCell(c.no));
        tr.appendChild(numCell(c.none));
        return tr;
      }));
    }
    setText("a-lookups", grouped(a.lookups));
    setText("a-coalesced", grouped(a.coalesced));
    setText("a-capped", grouped(a.capped));
    var z = a.zone;
    setText("a-entries", z ? grouped(z.entries) : "\u2013");
    setText("a-capacity", z ? grouped(z.capacity) : "\u2013");
    setText("a-evictions", z ? grouped(z.evictions) : "\u2013");
  }
  function limits(d) {
    var keys = ordered("limits-body", d.limit_zones);
    if (!keys.length) return;
    replaceRows("limits-body", keys.map(function (k) {
      var z = d.limit_zones[k];
      var tr = keyed(k);
      var th = el("th");
      th.setAttribute("scope", "row");
      th.appendChild(el("code", "", k));
      tr.appendChild(th);
      tr.appendChild(numCell(z.passed));
      tr.appendChild(numCell(z.delayed));
      tr.appendChild(numCell(z.rejected));
      var keysCell = el("td", "keys");
      keysCell.appendChild(bar(z.nodes, z.capacity));
      keysCell.appendChild(el("span", "", grouped(z.nodes) + " of " + grouped(z.capacity)));
      tr.appendChild(keysCell);
      tr.appendChild(numCell(z.evictions));
      return tr;
    }));
  }
  function mostDenied(apps) {
    var idx = [];
    apps.forEach(function (a, i) { if (a.denied > 0) idx.push(i); });
    idx.sort(function (a, b) { return (apps[b].denied - apps[a].denied) || (a - b); });
    return idx.slice(0, 3);
  }
  function apps(d) {
    var list = d.apps || [];
    var n = list.length;
    setText("apps-summary", (n === 1 ? "1 app" : grouped(n) + " apps") +
      " listed, newest first (the zone keeps the last " + grouped(d.apps_capacity) +
      "); the apps whose tokens were denied most are marked.");
    var marked = mostDenied(list);
    var rows = list.map(function (a, i) {
      var flag = marked.indexOf(i) >= 0;
      var tr = el("tr", flag ? "flag" : "");
      var first = a.unix_time || 0;
      var t = el("td", "when", when(first));
      t.appendChild(el("small", "", ago(first)));
      tr.appendChild(t);
      var app = el("td", "app");
      if (flag) app.appendChild(el("span", "badge", "most denied"));
      app.appendChild(a.name ? el("b", "", a.name) : el("i", "", "not seen registering"));
      if (a.website) app.appendChild(el("span", "site", a.website));
      app.appendChild(el("code", "id", a.client_id));
      tr.appendChild(app);
      var client = el("td", "client");
      client.appendChild(el("code", "", a.client));
      client.appendChild(el("span", "agent", a.agent));
      tr.appendChild(client);
      tr.appendChild(numCell(a.tokens_granted));
      tr.appendChild(numCell(a.requests));
      tr.appendChild(el("td", "n denied", grouped(a.denied)));
      return tr;
    });
    if (!rows.length) {
      var tr = el("tr", "empty");
      var td = el("td", "", "No app registered or granted a token since the zone was created.");
      td.setAttribute("colspan", "6");
      tr.appendChild(td);
      rows.push(tr);
    }
    replaceRows("apps-body", rows);
  }

  /* The chart: denials per second by reason, between successive reads. */
  function niceMax(v) {
    if (v <= 0) return 1;
    var p = Math.pow(10, Math.floor(Math.log10(v)));
    var steps = [1, 2, 2.5, 5, 10];
    for (var i = 0; i < steps.length; i++) if (v <= steps[i] * p) return steps[i] * p;
    return 10 * p;
  }
  function rateText(r) { return (r >= 10 ? Math.round(r) : Math.round(r * 10) / 10) + "/s"; }
  function chart() {
    var c = $("chart");
    if (!c) return;
    while (c.firstChild) c.removeChild(c.firstChild);
    var X0 = 56, X1 = 1190, Y0 = 190, Y1 = 16;
    var t1 = history.length ? history[history.length - 1].t : 0;
    /* Five minutes once the page has been open that long; until then, the
       time it has been open (at least ten readings' worth). */
    var span = Math.min(WINDOW, Math.max(every * 10, history.length ? t1 - history[0].t : 0));
    var series = {}, max = 0;
    for (var i = 1; i < history.length; i++) {
      var a = history[i - 1], b = history[i], dt = b.t - a.t;
      if (dt <= 0) continue;
      Object.keys(b.totals).forEach(function (k) {
        var r = Math.max(0, (b.totals[k] - (a.totals[k] || 0)) / dt);
        (series[k] = series[k] || []).push([b.t, r]);
        if (r > max) max = r;
      });
    }
    var top = niceMax(max);
    var x = function (t) { return X1 - (t1 - t) / span * (X1 - X0); };
    var y = function (r) { return Y0 - r / top * (Y0 - Y1); };
    [0, 0.5, 1].forEach(function (f) {
      var yy = y(top * f);
      c.appendChild(svg("line", { "class": f ? "grid-line" : "axis", x1: X0, y1: yy, x2: X1, y2: yy }));
      var label = svg("text", { x: X0 - 6, y: yy + 4, "text-anchor": "end" });
      label.textContent = rateText(top * f);
      c.appendChild(label);
    });
    var since = span >= 120 ? Math.round(span / 60) + " min ago" : Math.round(span) + " s ago";
    [[since, X0, "start"], ["now", X1, "end"]].forEach(function (l) {
      var t = svg("text", { x: l[1], y: Y0 + 20, "text-anchor": l[2] });
      t.textContent = l[0];
      c.appendChild(t);
    });
    var drawn = 0;
    Object.keys(series).forEach(function (k) {
      var pts = series[k];
      pts = pts.filter(function (p) { return t1 - p[0] <= span; });
      if (!pts.some(function (p) { return p[1] > 0; })) return;
      var line = svg("polyline", {
        "class": "c" + (colours[k] === undefined ? 0 : colours[k]),
        points: pts.map(function (p) { return x(p[0]).toFixed(1) + "," + y(p[1]).toFixed(1); }).join(" ")
      });
      var title = svg("title", {});
      title.textContent = ((lookup("reasons", k) || [k])[0]) + ": " + rateText(pts[pts.length - 1][1]) + " now";
      line.appendChild(title);
      c.appendChild(line);
      drawn++;
    });
    if (!drawn) {
      var msg = svg("text", { "class": "wait", x: (X0 + X1) / 2, y: 100, "text-anchor": "middle" });
      msg.textContent = history.length < 2
        ? "The chart starts with the page's second reading of the counters."
        : "No request denied while this page was open.";
      c.appendChild(msg);
    }
  }
  function record(d) {
    var totals = {};
    Object.keys(d.decisions).forEach(function (k) { totals[k] = d.decisions[k].deny + d.decisions[k].dry_run; });
    var t = performance.now() / 1000;
    history.push({ t: t, totals: totals });
    while (history.length > 2 && t - history[0].t > WINDOW) history.shift();
  }

  var live = $("live");
  function show(d) {
    tiles(d);
    decisions(d);
    classes("agents-body", d.agent_classes, function (k) {
      return [k, "", (words.agents || {})[k] || "your own class"];
    });
    classes("tokens-body", d.token_classes, function (k) {
      var w = lookup("tokens", k) || [k, ""];
      return [w[0], k, w[1]];
    });
    verification(d);
    agentVerification(d);
    limits(d);
    apps(d);
    record(d);
    chart();
    var iso = new Date(now() * 1000).toISOString();
    setText("read-at", iso.slice(0, 10) + " " + iso.slice(11, 19) + " UTC");
    live.className = "live on";
    live.textContent = "live, every " + every + " s";
    body.dataset.reads = String((Number(body.dataset.reads) || 0) + 1);
  }
  function read() {
    fetch(location.pathname + "?format=json", { cache: "no-store", headers: { Accept: "application/json" } })
      .then(function (r) {
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.json();
      })
      .then(show)
      .catch(function (e) {
        live.className = "live stale";
        live.textContent = "not updated: " + e.message;
      })
      .then(function () { setTimeout(read, every * 1000); });
  }
  live.className = "live on";
  live.textContent = "live, every " + every + " s";
  read();
})();
