// The report page's charts and the print page's button. Each chart's figures come from the
// <script type="application/json"> named by its data-report-chart (data, not code, so the
// Content-Security-Policy lets it be); ECharts draws SVG. Bars lie down on a narrow screen.
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  var printButton = document.querySelector("[data-print]");
  if (printButton) printButton.addEventListener("click", function () { window.print(); });
  if (!window.echarts) return;
  var COLORS = ["#14697d", "#e2823a", "#4f9a6b", "#7b6bb0", "#c9a227", "#b5534a", "#5b8fb9"];
  var font = getComputedStyle(document.body).fontFamily;

  function barOptions(data, lying) {
    var names = { type: "category", data: data.labels, inverse: lying,
      axisLabel: { interval: 0, rotate: !lying && data.labels.length > 6 ? 30 : 0, color: "#3a4c55", fontSize: 11 },
      axisLine: { lineStyle: { color: "#b7c3c8" } }, axisTick: { show: false } };
    var counts = { type: "value", minInterval: 1, splitLine: { lineStyle: { color: "#eef2f4" } },
      axisLabel: { color: "#66777f" } };
    return {
      color: COLORS, textStyle: { fontFamily: font },
      grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
      legend: { top: 0, textStyle: { color: "#3a4c55" } },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, renderMode: "richText" },
      xAxis: lying ? counts : names, yAxis: lying ? names : counts,
      series: data.series.map(function (s) {
        return { name: s.name, type: "bar", data: s.values, stack: data.stack ? "all" : undefined,
          barMaxWidth: 26 };
      })
    };
  }

  function pieOptions(data) {
    var s = data.series[0];
    return {
      color: COLORS, textStyle: { fontFamily: font },
      tooltip: { trigger: "item", renderMode: "richText" },
      legend: { type: "scroll", bottom: 0, textStyle: { color: "#3a4c55" } },
      series: [{ name: s.name, type: "pie", radius: ["38%", "66%"], center: ["50%", "44%"],
        label: { formatter: "{b}\n{d}%", color: "#3a4c55" },
        data: data.labels.map(function (label, i) { return { name: label, value: s.values[i] }; }) }]
    };
  }

  document.querySelectorAll("[data-report-chart]").forEach(function (el) {
    var source = document.getElementById(el.getAttribute("data-report-chart"));
    if (!source) return;
    var data = JSON.parse(source.textContent);
    function lying() { return el.clientWidth < 560 && data.labels.length > 5; }
    var chart = window.echarts.init(el, null, { renderer: "svg" });
    var was = lying();
    chart.setOption(data.kind === "pie" ? pieOptions(data) : barOptions(data, was));
    window.addEventListener("resize", function () {
      var now = lying();
      if (data.kind !== "pie" && now !== was) { was = now; chart.setOption(barOptions(data, now), true); }
      chart.resize();
    });
  });
});
