// The home page's bar chart of active elders by area. The figures come from a
// <script type="application/json"> block next to the chart (data, not code, so the
// Content-Security-Policy lets it be); ECharts draws SVG and sets styles through the DOM.
// On a narrow screen the bars lie down, one row per area, so that every name stays legible.
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  var el = document.getElementById("chart-areas");
  var source = document.getElementById("chart-areas-data");
  if (!el || !source || !window.echarts) return;
  var data = JSON.parse(source.textContent);
  var ROW = 22;

  function lying() { return el.clientWidth < 560 && data.names.length > 6; }

  function options(horizontal) {
    var names = { type: "category", data: data.names, inverse: horizontal,
      axisLabel: { interval: 0, rotate: !horizontal && data.names.length > 6 ? 35 : 0,
        color: "#3a4c55", fontSize: 11 },
      axisLine: { lineStyle: { color: "#b7c3c8" } }, axisTick: { show: false } };
    var counts = { type: "value", minInterval: 1, splitLine: { lineStyle: { color: "#eef2f4" } },
      axisLabel: { color: "#66777f" } };
    return {
      textStyle: { fontFamily: getComputedStyle(document.body).fontFamily },
      grid: { left: 8, right: 16, top: 16, bottom: 8, containLabel: true },
      // The tooltip is drawn inside the chart: an HTML tooltip would carry style attributes.
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, renderMode: "richText" },
      xAxis: horizontal ? counts : names,
      yAxis: horizontal ? names : counts,
      series: [{ name: data.series, type: "bar", data: data.values, barMaxWidth: horizontal ? 14 : 28,
        itemStyle: { color: "#14697d", borderRadius: horizontal ? [0, 3, 3, 0] : [3, 3, 0, 0] },
        emphasis: { itemStyle: { color: "#e2823a" } } }]
    };
  }

  var horizontal = lying();
  if (horizontal) el.style.height = data.names.length * ROW + 40 + "px";
  var chart = window.echarts.init(el, null, { renderer: "svg" });
  chart.setOption(options(horizontal));
  window.addEventListener("resize", function () {
    var now = lying();
    if (now !== horizontal) {
      horizontal = now;
      el.style.height = horizontal ? data.names.length * ROW + 40 + "px" : "";
      chart.setOption(options(horizontal), true);
    }
    chart.resize();
  });
});
