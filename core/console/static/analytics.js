// The analytics page's chart (Chart.js, vendored): conversations, contained and handoffs per
// period as bars, CSAT as a line on its own 1-5 axis. The same figures are in the table below it.
// In a right-to-left page the charts are mirrored: time runs from the right, axes swap sides.
"use strict";
const RTL = document.documentElement.dir === "rtl";
(() => {
  const canvas = document.getElementById("volume");
  if (!canvas || typeof Chart === "undefined") return;
  const series = JSON.parse(canvas.getAttribute("data-series"));
  const labels = JSON.parse(canvas.getAttribute("data-labels"));
  const bar = (key, colour) => ({ type: "bar", label: labels[key], data: series.map((p) => p[key]), backgroundColor: colour, yAxisID: "y" });
  new Chart(canvas, {
    data: {
      labels: series.map((p) => p.start),
      datasets: [
        bar("conversations", "#0b5cad"),
        bar("contained", "#1d6b38"),
        bar("handoffs", "#a4161a"),
        { type: "line", label: labels.csat, data: series.map((p) => p.csat), borderColor: "#8a4b00", backgroundColor: "#8a4b00", yAxisID: "csat", spanGaps: true },
      ],
    },
    options: {
      maintainAspectRatio: false,
      animation: false,
      plugins: { legend: { rtl: RTL }, tooltip: { rtl: RTL } },
      scales: {
        x: { reverse: RTL },
        y: { beginAtZero: true, ticks: { precision: 0 }, position: RTL ? "right" : "left" },
        csat: { position: RTL ? "left" : "right", min: 1, max: 5, grid: { drawOnChartArea: false } },
      },
    },
  });
})();

// Leads by source and outcome: one stacked bar per source (won, lost, still open).
(() => {
  const canvas = document.getElementById("leads");
  if (!canvas || typeof Chart === "undefined") return;
  const rows = JSON.parse(canvas.getAttribute("data-rows"));
  const labels = JSON.parse(canvas.getAttribute("data-labels"));
  const part = (key, colour) => ({ label: labels[key], data: rows.map((r) => r[key]), backgroundColor: colour });
  new Chart(canvas, {
    type: "bar",
    data: { labels: rows.map((r) => r.source), datasets: [part("won", "#1d6b38"), part("lost", "#a4161a"), part("open", "#5c6670")] },
    options: {
      maintainAspectRatio: false,
      animation: false,
      indexAxis: "y",
      plugins: { legend: { rtl: RTL }, tooltip: { rtl: RTL } },
      scales: {
        x: { stacked: true, beginAtZero: true, ticks: { precision: 0 }, reverse: RTL },
        y: { stacked: true, position: RTL ? "right" : "left" },
      },
    },
  });
})();
