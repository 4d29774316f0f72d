// A campaign's page: the results chart (Chart.js, vendored) and live progress, polled every two
// seconds while the campaign is running or paused.
"use strict";
(() => {
  const section = document.querySelector("[data-results]");
  const canvas = document.getElementById("timeline");
  if (!section || !canvas || typeof Chart === "undefined") return;
  const labels = JSON.parse(canvas.getAttribute("data-labels"));
  const rtl = document.documentElement.dir === "rtl";
  const colours = { delivered: "#0b5cad", replied: "#1d6b38", converted: "#8a4b00", failed: "#a4161a", opted_out: "#5b3f8c" };
  const datasets = (timeline) => Object.keys(colours).map((key) => ({
    label: labels[key], data: timeline.map((row) => row[key]), borderColor: colours[key], backgroundColor: colours[key],
  }));
  const hours = (timeline) => timeline.map((row) => row.at.slice(5, 16).replace("T", " "));
  const initial = JSON.parse(canvas.getAttribute("data-timeline"));
  const chart = new Chart(canvas, {
    type: "bar",
    data: { labels: hours(initial), datasets: datasets(initial) },
    options: {
      maintainAspectRatio: false,
      animation: false,
      // Mirrored in a right-to-left page: time runs from the right.
      plugins: { legend: { rtl: rtl }, tooltip: { rtl: rtl } },
      scales: { x: { reverse: rtl }, y: { beginAtZero: true, ticks: { precision: 0 }, position: rtl ? "right" : "left" } },
    },
  });

  const show = (key, value) => {
    const el = section.querySelector(`[data-live="${key}"]`);
    if (el) el.textContent = value;
  };
  const list = (key, reasons) => {
    const el = section.querySelector(`[data-live="${key}"]`);
    el.replaceChildren(...(Object.entries(reasons).length ? Object.entries(reasons) : [["", 0]]).map(([why, n]) => {
      const li = document.createElement("li");
      li.textContent = why ? `${why}: ${n}` : el.getAttribute("data-empty");
      return li;
    }));
  };

  async function poll() {
    try {
      const response = await fetch(section.getAttribute("data-results"), { headers: { Accept: "application/json" } });
      if (!response.ok) return;
      const r = await response.json();
      for (const key of ["planned", "sent", "delivered", "pending", "replied", "converted", "opted_out"]) show(key, r[key]);
      list("skipped", r.skipped);
      list("failed", r.failed);
      const status = document.querySelector('[data-live="status"]');
      if (status.getAttribute("data-status") !== r.status) {
        // Another status offers other actions: show the page as it is now (once: it then matches).
        window.location.reload();
        return;
      }
      const bar = section.querySelector('[data-live="progress"]');
      bar.max = r.planned || 1;
      bar.value = r.planned - r.pending;
      chart.data.labels = hours(r.timeline);
      chart.data.datasets.forEach((set, n) => { set.data = datasets(r.timeline)[n].data; });
      chart.update();
    } finally {
      setTimeout(poll, 2000);
    }
  }
  setTimeout(poll, 2000);
})();
