// The capacity what-if page: show the form fields of the chosen change, and draw the chart of
// orders served inside their own street per street, as it is and with the change. The figures
// come from data-* attributes (data, not code, for the CSP; htmx drops script blocks it swaps
// in); the chart is drawn when the page loads and when htmx swaps in the finished job.
(function () {
  "use strict";

  function fields() {
    var kind = document.querySelector("[data-wi-kind]");
    if (!kind) return;
    function show() {
      document.querySelectorAll("[data-wi-for]").forEach(function (el) {
        var on = el.getAttribute("data-wi-for").split(" ").indexOf(kind.value) >= 0;
        el.hidden = !on;
        el.querySelectorAll("input, select").forEach(function (i) { i.disabled = !on; });
      });
    }
    kind.addEventListener("change", show);
    show();
  }

  function chart() {
    var el = document.getElementById("whatif-chart");
    if (!el || !window.echarts || el.getAttribute("data-drawn")) return;
    el.setAttribute("data-drawn", "1");
    var data = JSON.parse(el.getAttribute("data-chart"));
    var w = JSON.parse(el.getAttribute("data-words"));
    var c = window.echarts.init(el, null, { renderer: "svg" });
    c.setOption({
      textStyle: { fontFamily: getComputedStyle(document.body).fontFamily },
      grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
      legend: { top: 0, data: [w.before, w.after] },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, renderMode: "richText" },
      xAxis: { type: "category", data: data.names,
        axisLabel: { interval: 0, rotate: data.names.length > 8 ? 30 : 0, color: "#3a4c55" },
        axisTick: { show: false }, axisLine: { lineStyle: { color: "#b7c3c8" } } },
      yAxis: { type: "value", minInterval: 1, splitLine: { lineStyle: { color: "#eef2f4" } },
        axisLabel: { color: "#66777f" } },
      series: [
        { name: w.before, type: "bar", data: data.before, barMaxWidth: 22,
          itemStyle: { color: "#b7c3c8", borderRadius: [3, 3, 0, 0] } },
        { name: w.after, type: "bar", data: data.after, barMaxWidth: 22,
          itemStyle: { color: "#14697d", borderRadius: [3, 3, 0, 0] } }
      ]
    });
    window.addEventListener("resize", function () { c.resize(); });
  }

  document.addEventListener("DOMContentLoaded", function () { fields(); chart(); });
  // An outerHTML swap fires afterSettle on the element it removed; htmx:load comes from the new.
  document.addEventListener("htmx:load", chart);
})();
