// The big screen: one EventSource to /screen/stream; its first message is the snapshot of the
// viewer's streets, then deltas as orders and alarms move. Street outlines come from
// /geo/streets.geojson (no internet tiles). When the stream drops, the browser retries after
// the server's jittered `retry:`; if it gives up, we reconnect after a jittered delay too.
// The screen runs for days (tests/browser/test_screen_soak.py): deltas update the state at
// once but are drawn at most every DRAW_MS, and the map's series keep their ids, so ECharts
// updates them in place instead of making five new series (and restarting their effects) per
// message.
(function () {
  "use strict";
  var PHASE_COLOR = { placed: "#7cc4ff", dispatched: "#4e8cff", on_the_way: "#ffc857",
    checked_in: "#5fe3a1", done: "#9aa7b2", unplaceable: "#ff6b6b" };
  var KIND_COLOR = { institution: "#c792ea", day_care_centre: "#5fe3a1", meal_point: "#ffc857",
    street_centre: "#4e8cff", district_platform: "#ffffff" };
  var wall, labels, words, chart, supplyChart, circleChart, state = null, layer = "all";
  var windowDays = "7", source = null, retries = 0, outlineNames = {}, boxes = {}, whole = null;
  var heard = 0; // when the stream last said anything (an event or its `beat`)
  var DRAW_MS = 400, drawDue = null;

  function box(coords, b) {  // the bounding box [minLon, minLat, maxLon, maxLat] of nested rings
    if (typeof coords[0] === "number") {
      return [Math.min(b[0], coords[0]), Math.min(b[1], coords[1]), Math.max(b[2], coords[0]), Math.max(b[3], coords[1])];
    }
    coords.forEach(function (c) { b = box(c, b); });
    return b;
  }

  function L(code) { return (labels && labels[code]) || code; }
  function el(id) { return document.getElementById(id); }
  function pct(v) { return v === null || v === undefined ? "–" : Math.round(v * 1000) / 10 + "%"; }
  function num(v) { return (v || 0).toLocaleString(); }
  function text(node, value) { if (node) node.textContent = value; }

  function kpis() {
    var k = state.kpi;
    var shown = {
      placed: num(k.placed), served: num(k.served), waiting: num(k.waiting),
      unplaceable: num(k.unplaceable), on_time: pct(k.on_time), cross: pct(k.cross),
      alarms_today: num(k.alarms_today), within_60: pct(k.within_60), within_180: pct(k.within_180),
      responders: num(k.responders), online: num(k.online) + " / " + num(k.devices),
      low_battery: num(k.low_battery), beds_used: num(k.beds_used) + " / " + num(k.beds),
      on_duty: num(k.on_duty)
    };
    Object.keys(shown).forEach(function (key) {
      text(document.querySelector('[data-testid="kpi-' + key + '"]'), shown[key]);
    });
    var p = state.programme;
    var spent = k.spent_fen / 100, budget = p.budget_fen / 100;
    text(el("budget-spent"), num(Math.round(spent)));
    text(el("budget-total"), num(Math.round(budget)));
    el("budget-fill").style.width = (budget ? Math.min(100, 100 * spent / budget) : 0) + "%";
    text(el("prog-devices"), num(p.devices_fitted));
    text(el("prog-investment"), num(Math.round(p.investment_fen / 1000000)));
    text(el("prog-online"), num(p.online_orders));
    text(el("prog-services"), num(p.services));
  }

  function strip() {
    var counts = {};
    state.orders.forEach(function (o) { counts[o.phase] = (counts[o.phase] || 0) + 1; });
    document.querySelectorAll(".strip-step").forEach(function (step) {
      text(step.querySelector(".strip-n"), num(counts[step.getAttribute("data-phase")] || 0));
    });
  }

  function alarmList() {
    var list = el("alarm-list");
    var waiting = state.alarms.filter(function (a) { return a.flash; })
      .sort(function (a, b) { return a.raised_at < b.raised_at ? 1 : -1; }).slice(0, 6);
    list.replaceChildren();
    if (!waiting.length) {
      var li = document.createElement("li"); li.className = "quiet"; li.textContent = words.none_waiting;
      list.appendChild(li); return;
    }
    var names = {};
    state.streets.forEach(function (s) { names[s.id] = s.name; });
    waiting.forEach(function (a) {
      var li = document.createElement("li");
      li.setAttribute("data-alarm", a.id);
      var t = new Date(a.raised_at).toLocaleTimeString(document.documentElement.lang, { timeZone: "Asia/Shanghai", hour: "2-digit", minute: "2-digit" });
      li.textContent = L("alarm:" + a.type) + " · " + (names[a.street_id] || "") + " · " + t;
      list.appendChild(li);
    });
  }

  function mapOption() {
    var values = state.streets.map(function (s) { return { name: s.code, value: s.layers[layer] || 0 }; });
    var names = Object.assign({}, outlineNames);
    state.streets.forEach(function (s) { names[s.code] = s.name; });
    var max = Math.max.apply(null, values.map(function (v) { return v.value; }).concat([1]));
    Object.keys(outlineNames).forEach(function (code) {  // streets outside the cut stay dark
      if (!values.some(function (v) { return v.name === code; })) values.push({ name: code, value: -1 });
    });
    var facilities = state.facilities.map(function (f) {
      var places = f.beds + f.day_places + f.meals;
      return { name: f.name + " · " + L("kind:" + f.kind) + " · " + places + " " + words.beds + ", " +
        f.in_use + " " + words.in_use + ", " + f.on_duty + " " + words.on_duty,
        value: f.at, kind: f.kind, symbolSize: 8 + Math.min(22, Math.sqrt(places) * 1.6),
        itemStyle: { color: KIND_COLOR[f.kind] || "#ffffff" } };
    });
    var live = state.orders.filter(function (o) { return o.phase !== "cancelled" && o.phase !== "no_show"; });
    var orders = live.map(function (o) {
      return { name: L("phase:" + o.phase), value: o.at, itemStyle: { color: PHASE_COLOR[o.phase] || "#fff" } };
    });
    var arcs = live.filter(function (o) { return o.cross && o.centre && o.phase !== "done"; })
      .map(function (o) { return { coords: [o.centre, o.at] }; });
    var flashing = state.alarms.filter(function (a) { return a.flash && a.at; })
      .map(function (a) { return { name: L("alarm:" + a.type), value: a.at }; });
    var option = {
      textStyle: { fontFamily: getComputedStyle(document.body).fontFamily, color: "#e6f1ff" },
      tooltip: { trigger: "item", renderMode: "richText", formatter: function (p) {
        if (p.seriesType !== "map") return p.name;
        return (names[p.name] || p.name) + (p.value >= 0 ? ": " + num(p.value) : ""); } },
      visualMap: { min: 0, max: max, left: 12, bottom: 12, calculable: false, seriesIndex: 0,
        text: [num(max), "0"], textStyle: { color: "#cfe3ff", fontSize: 16 },
        inRange: { color: ["#123049", "#1d5f8a", "#2f9bd1", "#8fe0ff"] }, outOfRange: { color: "#0b1826" } },
      geo: { map: "streets", roam: false, layoutCenter: ["50%", "50%"], layoutSize: "96%",
        itemStyle: { areaColor: "#0f2236", borderColor: "#3d6b93", borderWidth: 1 },
        nameProperty: "code",
        label: { show: true, color: "#cfe3ff", fontSize: 13, formatter: function (p) { return names[p.name] || ""; } },
        emphasis: { label: { color: "#ffffff" }, itemStyle: { areaColor: "#2a5d88" } } },
      series: [
        { id: "streets", type: "map", geoIndex: 0, data: values, name: L(layer) },
        { id: "facilities", type: "scatter", coordinateSystem: "geo", data: facilities, zlevel: 1, symbol: "diamond" },
        { id: "arcs", type: "lines", coordinateSystem: "geo", data: arcs, zlevel: 2,
          lineStyle: { color: "#ffc857", width: 1.5, opacity: 0.8, curveness: 0.3 },
          effect: { show: true, period: 4, trailLength: 0.2, symbolSize: 5, color: "#ffe6a8" } },
        // the order dots stay on the still layer: the arcs' and the alarms' layers are
        // repainted every frame of their effects, and the dots number thousands by evening
        { id: "orders", type: "scatter", coordinateSystem: "geo", data: orders, zlevel: 1, z: 3, symbolSize: 6 },
        { id: "alarms", type: "effectScatter", coordinateSystem: "geo", data: flashing, zlevel: 3, symbolSize: 18,
          rippleEffect: { scale: 4, brushType: "stroke" }, itemStyle: { color: "#ff4d4f" } }
      ]
    };
    if (!state.district && state.streets.length === 1) {
      var only = state.streets[0].code;
      option.geo.regions = [{ name: only, itemStyle: { borderColor: "#8fe0ff", borderWidth: 3 }, label: { color: "#07111d", fontWeight: "bold", fontSize: 18 } }];
      var b = boxes[only];
      if (b && whole) {  // a street centre's screen looks at its own street
        option.geo.center = [(b[0] + b[2]) / 2, (b[1] + b[3]) / 2];
        option.geo.zoom = Math.max(1, Math.min(4, 0.4 * Math.min((whole[2] - whole[0]) / (b[2] - b[0]), (whole[3] - whole[1]) / (b[3] - b[1]))));
      }
    }
    return option;
  }

  // "all": the street's own cell, each order and each caregiver once whatever their skills.
  function streetTotals(s) {
    var cells = s.supply[windowDays] || {};
    return cells.all || { demand: 0, supply: 0 };
  }

  function supplyOption() {
    var rows;
    if (state.streets.length === 1) {
      var cells = state.streets[0].supply[windowDays] || {};
      rows = Object.keys(cells).filter(function (k) { return k !== "all"; }).map(function (k) { return { name: L("skill:" + k), demand: cells[k].demand, supply: cells[k].supply }; });
    } else {
      rows = state.streets.map(function (s) { var t = streetTotals(s); return { name: s.name, demand: t.demand, supply: t.supply }; });
    }
    rows.sort(function (a, b) { return (b.demand - b.supply) - (a.demand - a.supply); });
    rows = rows.slice(0, 12).reverse();
    return {
      textStyle: { color: "#cfe3ff", fontSize: 15 },
      grid: { left: 8, right: 20, top: 34, bottom: 8, containLabel: true },
      legend: { top: 0, textStyle: { color: "#cfe3ff", fontSize: 15 } },
      tooltip: { trigger: "axis", renderMode: "richText" },
      xAxis: { type: "value", axisLabel: { color: "#8fb3d9" }, splitLine: { lineStyle: { color: "#1d3550" } } },
      yAxis: { type: "category", data: rows.map(function (r) { return r.name; }), axisLabel: { color: "#e6f1ff", fontSize: 15 } },
      series: [
        { name: words.demand, type: "bar", data: rows.map(function (r) { return Math.round(r.demand); }), itemStyle: { color: "#ff8f6b" } },
        { name: words.supply, type: "bar", data: rows.map(function (r) { return Math.round(r.supply); }), itemStyle: { color: "#4e8cff" } }
      ]
    };
  }

  function shortList() {
    var list = el("short-list");
    list.replaceChildren();
    var table = state.shortages[windowDays] || {};
    var items = [];
    Object.keys(table).forEach(function (skill) {
      if (skill === "general") return;
      table[skill].slice(0, 2).forEach(function (row) { items.push({ skill: skill, street: row[0], gap: row[1] }); });
    });
    items.sort(function (a, b) { return b.gap - a.gap; });
    if (!items.length) {
      var li = document.createElement("li"); li.className = "quiet"; li.textContent = words.none_short; list.appendChild(li); return;
    }
    items.slice(0, 6).forEach(function (it) {
      var li = document.createElement("li");
      li.textContent = L("skill:" + it.skill) + " · " + it.street + " · " + Math.round(it.gap) + " " + words.hours_short;
      list.appendChild(li);
    });
  }

  function circleOption() {
    var rows = state.streets.filter(function (s) { return s.circle.elders > 0; }).map(function (s) {
      return { name: s.name, day: s.circle.day_care / s.circle.elders, meal: s.circle.meal / s.circle.elders };
    }).sort(function (a, b) { return a.day - b.day; }).slice(0, 10).reverse();
    return {
      textStyle: { color: "#cfe3ff", fontSize: 15 },
      grid: { left: 8, right: 20, top: 34, bottom: 8, containLabel: true },
      legend: { top: 0, textStyle: { color: "#cfe3ff", fontSize: 15 } },
      tooltip: { trigger: "axis", renderMode: "richText" },
      xAxis: { type: "value", max: 100, axisLabel: { color: "#8fb3d9", formatter: "{value}%" }, splitLine: { lineStyle: { color: "#1d3550" } } },
      yAxis: { type: "category", data: rows.map(function (r) { return r.name; }), axisLabel: { color: "#e6f1ff", fontSize: 15 } },
      series: [
        { name: words.day_care, type: "bar", data: rows.map(function (r) { return Math.round(r.day * 100); }), itemStyle: { color: "#5fe3a1" } },
        { name: words.meal, type: "bar", data: rows.map(function (r) { return Math.round(r.meal * 100); }), itemStyle: { color: "#ffc857" } }
      ]
    };
  }

  function drawLive() {
    kpis(); strip(); alarmList();
    chart.setOption(mapOption(), { replaceMerge: ["series"] });
    wall.setAttribute("data-orders", String(state.orders.length));
    wall.setAttribute("data-alarms-flashing", String(state.alarms.filter(function (a) { return a.flash; }).length));
  }

  function drawSoon() {  // a burst of deltas is drawn once
    if (drawDue === null) drawDue = setTimeout(function () { drawDue = null; drawLive(); }, DRAW_MS);
  }

  function drawAll() {
    if (drawDue !== null) { clearTimeout(drawDue); drawDue = null; }
    drawLive();
    supplyChart.setOption(supplyOption(), true);
    circleChart.setOption(circleOption(), true);
    shortList();
    wall.setAttribute("data-streets", state.streets.map(function (s) { return s.code; }).join(" "));
    wall.setAttribute("data-ready", "1");
  }

  function merge(list, changed) {
    var byId = {};
    list.forEach(function (x, i) { byId[x.id] = i; });
    changed.forEach(function (x) { if (x.id in byId) list[byId[x.id]] = x; else list.push(x); });
    return list;
  }

  function live(stateName) {
    var badge = el("live-state");
    badge.setAttribute("data-state", stateName);
    badge.textContent = words[stateName] || stateName;
  }

  function reconnectLater() {
    retries += 1;
    var wait = Math.min(60000, 2000 * Math.pow(2, Math.min(retries, 5))) * (0.5 + Math.random());
    setTimeout(connect, wait);
  }

  // A stream cut without a close (a proxy, a sleeping network) looks open for ever: when no
  // beat came for three heartbeats, the page says so and connects again.
  function watchdog() {
    var quiet = 3 * Number(wall.getAttribute("data-heartbeat-ms"));
    if (source && Date.now() - heard > quiet) {
      source.close(); source = null;
      live("offline");
      reconnectLater();
    }
  }

  function connect() {
    heard = Date.now();
    source = new EventSource(wall.getAttribute("data-stream"));
    source.addEventListener("beat", function () { heard = Date.now(); });
    source.addEventListener("snapshot", function (e) {
      heard = Date.now();
      retries = 0; live("live");
      state = JSON.parse(e.data);
      drawAll();
    });
    source.addEventListener("delta", function (e) {
      heard = Date.now();
      if (!state) return;
      var d = JSON.parse(e.data);
      state.orders = merge(state.orders, d.orders || []);
      if (d.gone && d.gone.length) state.orders = state.orders.filter(function (o) { return d.gone.indexOf(o.id) < 0; });
      state.alarms = merge(state.alarms, d.alarms || []);
      if (d.kpi) state.kpi = d.kpi;
      drawSoon();
    });
    source.onerror = function () {
      live("offline");
      if (source.readyState === EventSource.CLOSED) {
        source = null;
        reconnectLater();
      }
    };
  }

  function tick() {
    text(el("wall-clock"), new Date().toLocaleString(document.documentElement.lang, {
      timeZone: "Asia/Shanghai", month: "long", day: "numeric", weekday: "short", hour: "2-digit", minute: "2-digit", second: "2-digit" }));
  }

  function start() {
    wall = el("wall");
    if (!wall || !window.echarts) return;
    labels = JSON.parse(el("screen-labels").textContent);
    words = JSON.parse(el("screen-words").textContent);
    tick(); setInterval(tick, 1000); setInterval(watchdog, 5000);
    chart = window.echarts.init(el("map"), null, { renderer: "canvas" });
    supplyChart = window.echarts.init(el("supply-chart"));
    circleChart = window.echarts.init(el("circle-chart"));
    el("layer").addEventListener("change", function (e) { layer = e.target.value; if (state) drawLive(); });
    el("window-pick").addEventListener("click", function (e) {
      var b = e.target.closest("button[data-window]");
      if (!b) return;
      windowDays = b.getAttribute("data-window");
      document.querySelectorAll("#window-pick button").forEach(function (x) { x.classList.toggle("on", x === b); });
      if (state) { supplyChart.setOption(supplyOption(), true); shortList(); }
    });
    window.addEventListener("resize", function () { chart.resize(); supplyChart.resize(); circleChart.resize(); });
    fetch("/geo/streets.geojson", { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (geo) {
        var far = [Infinity, Infinity, -Infinity, -Infinity];
        geo.features.forEach(function (f) {
          outlineNames[f.properties.code] = f.properties.name;
          boxes[f.properties.code] = box(f.geometry.coordinates, far.slice());
          whole = box(f.geometry.coordinates, whole || far.slice());
        });
        window.echarts.registerMap("streets", geo);
        wall.setAttribute("data-map-ready", "1");
        connect();
      });
  }

  document.addEventListener("DOMContentLoaded", start);
})();
