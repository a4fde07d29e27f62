// The home page's bar chart of active elders by area. The figures come from a
// <script type="application/json"> block next to the chart (data, not code, so the
// Content-Security-Policy lets it be); ECharts draws SVG and sets styles through the DOM.
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  var el = document.getElementById("chart-areas");
  var source = document.getElementById("chart-areas-data");
  if (!el || !source || !window.echarts) return;
  var data = JSON.parse(source.textContent);
  var chart = window.echarts.init(el, null, { renderer: "svg" });
  chart.setOption({
    textStyle: { fontFamily: getComputedStyle(document.body).fontFamily },
    grid: { left: 8, right: 16, top: 16, bottom: 8, containLabel: true },
    // The tooltip is drawn inside the chart: an HTML tooltip would carry style attributes.
    tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, renderMode: "richText" },
    xAxis: { type: "category", data: data.names,
      axisLabel: { interval: 0, rotate: data.names.length > 6 ? 35 : 0, color: "#3a4c55", fontSize: 11 },
      axisLine: { lineStyle: { color: "#b7c3c8" } }, axisTick: { show: false } },
    yAxis: { type: "value", minInterval: 1, splitLine: { lineStyle: { color: "#eef2f4" } },
      axisLabel: { color: "#66777f" } },
    series: [{ name: data.series, type: "bar", data: data.values, barMaxWidth: 28,
      itemStyle: { color: "#14697d", borderRadius: [3, 3, 0, 0] },
      emphasis: { itemStyle: { color: "#e2823a" } } }]
  });
  window.addEventListener("resize", function () { chart.resize(); });
});
