// Maps drawn with ECharts over the district outline the project ships (/geo/district.geojson):
// no internet tiles. A map is an element with data-map="<component>" and its data as JSON in
// data-map-json (an attribute survives htmx swaps), or the id of a <script
// type="application/json"> block in data-map-source (data, not code, so the
// Content-Security-Policy lets it be). Components, by name:
//   elder-home: one home, {"name", "lat", "lon", "label"}
//   rounds:     caregivers' rounds, {"rounds": [{"name", "stops": [{"lat", "lon", "label"}]}]}
(function () {
  "use strict";
  var PALETTE = ["#14697d", "#e2823a", "#5b8c3a", "#8a4f9e", "#c2413b", "#2f6fb5", "#9a7b1c"];
  var outline = null;

  function district() {
    if (outline) return outline;
    outline = fetch("/geo/district.geojson", { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (geo) { window.echarts.registerMap("district", geo); return geo; });
    return outline;
  }

  function base(points, zoom) {
    var lons = points.map(function (p) { return p[0]; });
    var lats = points.map(function (p) { return p[1]; });
    var zoomed = points.length > 0;
    return {
      textStyle: { fontFamily: getComputedStyle(document.body).fontFamily },
      tooltip: { trigger: "item", renderMode: "richText" },
      geo: {
        map: "district", roam: true, silent: true,
        center: zoomed ? [(Math.min.apply(null, lons) + Math.max.apply(null, lons)) / 2,
          (Math.min.apply(null, lats) + Math.max.apply(null, lats)) / 2] : undefined,
        zoom: zoomed ? zoom : 1,
        itemStyle: { areaColor: "#eef5f6", borderColor: "#14697d", borderWidth: 1.2 },
        label: { show: false }
      }
    };
  }

  var components = {
    "elder-home": function (data) {
      var at = [data.lon, data.lat];
      var option = base([at], 1.6);
      option.series = [{ type: "effectScatter", coordinateSystem: "geo", symbolSize: 12,
        itemStyle: { color: "#e2823a" }, data: [{ name: data.label, value: at }],
        label: { show: true, position: "right", formatter: "{b}", color: "#1d2b31" } }];
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
    }
  };

  function draw(el) {
    var make = components[el.getAttribute("data-map")];
    var source = document.getElementById(el.getAttribute("data-map-source") || "");
    var text = el.getAttribute("data-map-json") || (source && source.textContent);
    if (!make || !text || !window.echarts) return;
    var data = JSON.parse(text);
    district().then(function () {
      var chart = window.echarts.init(el, null, { renderer: "svg" });
      chart.setOption(make(data));
      el.setAttribute("data-map-ready", "1");
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }

  function drawAll(root) {
    (root || document).querySelectorAll("[data-map]:not([data-map-ready])").forEach(draw);
  }

  document.addEventListener("DOMContentLoaded", function () { drawAll(document); });
  document.addEventListener("htmx:afterSettle", function () { drawAll(document); });
})();
