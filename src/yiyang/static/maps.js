// Maps drawn with ECharts over the district outline the project ships (/geo/district.geojson):
// no internet tiles. A map is an element with data-map="<component>" and its data as JSON in
// data-map-json (an attribute survives htmx swaps), or the id of a <script
// type="application/json"> block in data-map-source (data, not code, so the
// Content-Security-Policy lets it be). Components, by name:
//   elder-home: one home, {"name", "lat", "lon", "label", "fence_m"?, "fence_label"?}; with
//               fence_m the map zooms to the street around it and rings the geofence
//   rounds:     caregivers' rounds, {"rounds": [{"name", "stops": [{"lat", "lon", "label"}]}]}
//   places:     marked places and a route, {"places": [{"lat", "lon", "label", "kind"}],
//               "kinds": {kind: legend label}, "route": {"name", "stops": [{"lat", "lon",
//               "label"}]}?, "fence": {"lat", "lon", "m", "label"}?}
//   facilities: {"kinds": {kind: label}, "facilities": [{"id", "name", "kind", "lat", "lon",
//               "tip", "size"}]}; a point opens /facilities/<id>
(function () {
  "use strict";
  var PALETTE = ["#14697d", "#e2823a", "#5b8c3a", "#8a4f9e", "#c2413b", "#2f6fb5", "#9a7b1c"];
  var KIND_COLOURS = { home: "#e2823a", centre: "#14697d", checkin: "#8a4f9e", facility: "#14697d" };
  var outline = null;
  var bounds = null; // [minLon, minLat, maxLon, maxLat] of the district
  var drawn = []; // {el, chart, resize} of each map on the page

  function extent(geo) {
    var box = [180, 90, -180, -90];
    function walk(c) {
      if (typeof c[0] === "number") {
        box[0] = Math.min(box[0], c[0]); box[1] = Math.min(box[1], c[1]);
        box[2] = Math.max(box[2], c[0]); box[3] = Math.max(box[3], c[1]);
        return;
      }
      c.forEach(walk);
    }
    geo.features.forEach(function (f) { if (f.geometry) walk(f.geometry.coordinates); });
    return box;
  }

  function district() {
    if (outline) return outline;
    outline = fetch("/geo/district.geojson", { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (geo) {
        bounds = extent(geo);
        window.echarts.registerMap("district", geo);
        return geo;
      });
    return outline;
  }

  // The zoom that shows these points (and `pad` metres around them) over the district.
  function fit(points, pad) {
    if (!bounds || points.length === 0) return 1;
    var lons = points.map(function (p) { return p[0]; });
    var lats = points.map(function (p) { return p[1]; });
    var lat = lats[0] * Math.PI / 180;
    var padLat = pad / 111320;
    var padLon = pad / (111320 * Math.cos(lat));
    var width = Math.max.apply(null, lons) - Math.min.apply(null, lons) + 2 * padLon;
    var height = Math.max.apply(null, lats) - Math.min.apply(null, lats) + 2 * padLat;
    var zoom = Math.min((bounds[2] - bounds[0]) / width, (bounds[3] - bounds[1]) / height);
    return Math.max(1, Math.min(zoom, 40));
  }

  function base(points, zoom) {
    var lons = points.map(function (p) { return p[0]; });
    var lats = points.map(function (p) { return p[1]; });
    var geo = {
      map: "district", roam: true, silent: true, scaleLimit: { min: 0.8, max: 60 },
      itemStyle: { areaColor: "#eef5f6", borderColor: "#14697d", borderWidth: 1.2 },
      label: { show: false }
    };
    if (points.length > 0) { // a centre only when there is one: an empty one breaks resize
      geo.center = [(Math.min.apply(null, lons) + Math.max.apply(null, lons)) / 2,
        (Math.min.apply(null, lats) + Math.max.apply(null, lats)) / 2];
      geo.zoom = zoom;
    }
    return {
      textStyle: { fontFamily: getComputedStyle(document.body).fontFamily },
      tooltip: { trigger: "item", renderMode: "richText" },
      geo: geo
    };
  }

  // A ring of `metres` around a point, as a closed line on the map.
  function ring(lat, lon, metres, label) {
    var coords = [];
    var dLat = metres / 111320;
    var dLon = metres / (111320 * Math.cos(lat * Math.PI / 180));
    for (var i = 0; i <= 48; i++) {
      var a = (i / 48) * 2 * Math.PI;
      coords.push([lon + dLon * Math.cos(a), lat + dLat * Math.sin(a)]);
    }
    return { type: "lines", coordinateSystem: "geo", polyline: true, name: label, silent: false,
      lineStyle: { color: "#c2413b", width: 2, type: "dashed", opacity: 0.9 },
      tooltip: { formatter: label },
      data: [{ name: label, coords: coords }] };
  }

  function route(stops, name, color) {
    var coords = stops.map(function (s) { return [s.lon, s.lat]; });
    var out = [];
    if (coords.length > 1) {
      out.push({ type: "lines", coordinateSystem: "geo", polyline: true, name: name,
        lineStyle: { color: color, width: 2, opacity: 0.85 }, data: [{ name: name, coords: coords }] });
    }
    out.push({ type: "scatter", coordinateSystem: "geo", name: name, symbolSize: 8,
      itemStyle: { color: color },
      label: { show: stops.length < 12, position: "top", formatter: function (p) { return p.data.order; },
        color: "#1d2b31", fontSize: 11 },
      data: stops.map(function (s, i) {
        return { name: name + " · " + s.label, value: [s.lon, s.lat], order: String(i + 1) };
      }) });
    return out;
  }

  var components = {
    "elder-home": function (data) {
      var at = [data.lon, data.lat];
      var fenced = typeof data.fence_m === "number" && data.fence_m > 0;
      var option = base([at], fenced ? fit([at], Math.max(data.fence_m * 4, 600)) : 1.6);
      option.series = [{ type: "effectScatter", coordinateSystem: "geo", symbolSize: 12,
        itemStyle: { color: "#e2823a" }, data: [{ name: data.label, value: at }],
        label: { show: true, position: "right", formatter: "{b}", color: "#1d2b31" } }];
      if (fenced) option.series.push(ring(data.lat, data.lon, data.fence_m, data.fence_label || ""));
      return option;
    },
    rounds: function (data) {
      var points = [];
      var series = [];
      data.rounds.forEach(function (round, i) {
        var color = PALETTE[i % PALETTE.length];
        var coords = round.stops.map(function (s) { points.push([s.lon, s.lat]); return [s.lon, s.lat]; });
        if (coords.length > 1) {
          series.push({ type: "lines", coordinateSystem: "geo", polyline: true, name: round.name,
            lineStyle: { color: color, width: 2, opacity: 0.85 }, data: [{ name: round.name, coords: coords }] });
        }
        series.push({ type: "scatter", coordinateSystem: "geo", name: round.name, symbolSize: 8,
          itemStyle: { color: color },
          data: round.stops.map(function (s) { return { name: round.name + " · " + s.label, value: [s.lon, s.lat] }; }) });
      });
      var option = base(points, 1.1);
      option.legend = { type: "scroll", bottom: 0, data: data.rounds.map(function (r) { return r.name; }) };
      option.series = series;
      return option;
    },
    places: function (data) {
      var points = [];
      var series = [];
      var kinds = data.kinds || {};
      if (data.route && data.route.stops.length) {
        data.route.stops.forEach(function (s) { points.push([s.lon, s.lat]); });
        series = series.concat(route(data.route.stops, data.route.name, "#5b8c3a"));
      }
      Object.keys(kinds).forEach(function (kind) {
        var mine = data.places.filter(function (p) { return p.kind === kind; });
        if (!mine.length) return;
        series.push({ type: kind === "home" ? "effectScatter" : "scatter", coordinateSystem: "geo",
          name: kinds[kind], symbol: kind === "centre" ? "diamond" : kind === "checkin" ? "triangle" : "circle",
          symbolSize: kind === "home" ? 13 : 14, z: 3,
          itemStyle: { color: KIND_COLOURS[kind] || "#14697d", borderColor: "#fff", borderWidth: 1 },
          label: { show: true, position: "right", formatter: "{b}", color: "#1d2b31",
            backgroundColor: "rgba(255,255,255,0.8)", padding: [2, 4] },
          data: mine.map(function (p) { points.push([p.lon, p.lat]); return { name: p.label, value: [p.lon, p.lat] }; }) });
      });
      if (data.fence) series.push(ring(data.fence.lat, data.fence.lon, data.fence.m, data.fence.label || ""));
      var option = base(points, fit(points, data.fence ? Math.max(data.fence.m * 3, 500) : 500));
      option.legend = { type: "scroll", bottom: 0, data: series.filter(function (s) { return s.type !== "lines" || s.name; })
        .map(function (s) { return s.name; }).filter(function (n, i, all) { return n && all.indexOf(n) === i; }) };
      option.series = series;
      return option;
    },
    facilities: function (data) {
      var kinds = data.kinds || {};
      var series = Object.keys(kinds).map(function (kind, i) {
        return { type: "scatter", coordinateSystem: "geo", name: kinds[kind],
          itemStyle: { color: PALETTE[i % PALETTE.length], borderColor: "#fff", borderWidth: 1, opacity: 0.9 },
          symbolSize: function (v, p) { return p.data.size; },
          tooltip: { formatter: function (p) { return p.data.tip; } },
          data: data.facilities.filter(function (f) { return f.kind === kind; }).map(function (f) {
            return { name: f.name, value: [f.lon, f.lat], id: f.id, tip: f.tip, size: f.size };
          }) };
      });
      var option = base([], 1);
      option.legend = { type: "scroll", bottom: 0, data: series.map(function (s) { return s.name; }) };
      option.series = series;
      return option;
    }
  };

  function draw(el) {
    var make = components[el.getAttribute("data-map")];
    var source = document.getElementById(el.getAttribute("data-map-source") || "");
    var text = el.getAttribute("data-map-json") || (source && source.textContent);
    if (!make || !text || !window.echarts || el.hasAttribute("data-map-drawing")) return;
    el.setAttribute("data-map-drawing", "1"); // once, though load and htmx both ask
    var data = JSON.parse(text);
    district().then(function () {
      var chart = window.echarts.init(el, null, { renderer: "svg" });
      chart.setOption(make(data));
      chart.on("click", function (p) {
        var id = p.data && p.data.id;
        if (typeof id === "number") window.location.assign("/facilities/" + id);
      });
      el.setAttribute("data-map-ready", "1");
      // A chart resized while its box is 0 wide (a full-page capture, a hidden tab) breaks.
      var resize = function () { if (el.clientWidth > 0 && el.clientHeight > 0) chart.resize(); };
      window.addEventListener("resize", resize);
      drawn.push({ el: el, chart: chart, resize: resize });
    });
  }

  // A map htmx takes off the page lets go of its chart and its resize listener.
  function release(root) {
    drawn = drawn.filter(function (d) {
      if (root !== d.el && !root.contains(d.el)) return true;
      window.removeEventListener("resize", d.resize);
      d.chart.dispose();
      return false;
    });
  }

  function drawAll(root) {
    (root || document).querySelectorAll("[data-map]:not([data-map-drawing])").forEach(draw);
  }

  document.addEventListener("DOMContentLoaded", function () { drawAll(document); });
  document.addEventListener("htmx:afterSettle", function () { drawAll(document); });
  document.addEventListener("htmx:beforeSwap", function (e) {
    if (e.detail && e.detail.target) release(e.detail.target);
  });
})();
