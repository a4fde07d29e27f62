// The alarm screen's chart of the elder's recent readings: one line per metric. The data is
// JSON in data-readings-json ({"series": [{"name", "unit", "points": [["local time", value]]}]});
// times come already in local (China) time, so the chart shows them as they are.
(function () {
  "use strict";
  var PALETTE = ["#c2413b", "#14697d", "#e2823a", "#5b8c3a", "#8a4f9e", "#2f6fb5"];

  function draw(el) {
    if (!window.echarts || el.getAttribute("data-ready")) return;
    var data = JSON.parse(el.getAttribute("data-readings-json") || "{}");
    if (!data.series || !data.series.length) return;
    // A second unit (temperature beside heart rate) gets an axis of its own on the right.
    var units = [];
    data.series.forEach(function (s) { if (units.indexOf(s.unit) < 0 && units.length < 2) units.push(s.unit); });
    var axis = function (unit, i) {
      return { type: "value", scale: true, name: unit, position: i ? "right" : "left",
        splitLine: { show: !i, lineStyle: { color: "#eef2f4" } }, axisLabel: { color: "#66777f" } };
    };
    var chart = window.echarts.init(el, null, { renderer: "svg" });
    chart.setOption({
      textStyle: { fontFamily: getComputedStyle(document.body).fontFamily },
      color: PALETTE,
      grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
      tooltip: { trigger: "axis", renderMode: "richText" },
      legend: { type: "scroll", top: 0 },
      xAxis: { type: "time", axisLabel: { color: "#66777f", hideOverlap: true } },
      yAxis: units.map(axis),
      series: data.series.map(function (s) {
        return { name: s.name + (s.unit ? " (" + s.unit + ")" : ""), type: "line", showSymbol: false,
          yAxisIndex: Math.max(0, units.indexOf(s.unit)), data: s.points };
      })
    });
    el.setAttribute("data-ready", "1");
    window.addEventListener("resize", function () { chart.resize(); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-readings-chart]").forEach(draw);
  });
})();
