/* Interactive charts (Chart.js, vendored in static/vendor/chartjs): each <canvas data-chart="ID">
   is drawn from the spec with that id in the page's <script type="application/json"
   id="chart-data"> (rendered by the server with json_script from the numbers of the page's
   tables; see portal/chartdata.py). Without JavaScript the charts stay hidden and the tables
   carry the numbers. No inline script: everything runs from this file. */
(function () {
  "use strict";
  var source = document.getElementById("chart-data");
  if (!source || typeof window.Chart === "undefined") { return; }
  var specs = {};
  JSON.parse(source.textContent).forEach(function (spec) { specs[spec.id] = spec; });
  var locale = document.documentElement.lang || "en";
  var numberFormat = new Intl.NumberFormat(locale, {maximumFractionDigits: 2});

  function axis(options, stacked, position) {
    var suffix = options.suffix || "";
    var scale = {
      beginAtZero: true, stacked: stacked, position: position,
      title: {display: true, text: options.title},
      ticks: {callback: function (value) { return numberFormat.format(value) + suffix; }}
    };
    if (options.max !== null && options.max !== undefined) { scale.max = options.max; }
    if (options.integer) { scale.ticks.precision = 0; }
    return scale;
  }

  function dataset(spec, ds) {
    var line = spec.kind === "line" || ds.kind === "line";
    return {
      label: ds.label, data: ds.data, type: ds.kind || undefined,
      borderColor: ds.colour, backgroundColor: line ? ds.colour : ds.colour + "cc",
      borderDash: ds.dashed ? [6, 4] : [], borderWidth: line ? 2 : 1,
      pointRadius: line ? 3 : 0, pointHoverRadius: 5, spanGaps: true, yAxisID: ds.axis || "y",
      stack: line ? undefined : (spec.stacked ? "total" : undefined), order: line ? 0 : 1
    };
  }

  function draw(canvas) {
    var spec = specs[canvas.getAttribute("data-chart")];
    if (!spec) { return; }
    var scales = {x: {stacked: spec.stacked}, y: axis(spec.y, spec.stacked, "left")};
    if (spec.y2) { scales.y2 = axis(spec.y2, false, "right"); scales.y2.grid = {drawOnChartArea: false}; }
    var suffixes = {y: spec.y.suffix || "", y2: spec.y2 ? (spec.y2.suffix || "") : ""};
    canvas.chart = new window.Chart(canvas, {
      type: spec.kind,
      data: {labels: spec.labels, datasets: spec.datasets.map(function (ds) { return dataset(spec, ds); })},
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        interaction: {mode: "index", intersect: false},
        scales: scales,
        plugins: {
          legend: {position: "bottom", labels: {boxWidth: 14}},
          tooltip: {callbacks: {label: function (item) {
            var value = item.parsed.y;
            if (value === null || value === undefined) { return item.dataset.label + ": —"; }
            return item.dataset.label + ": " + numberFormat.format(value) + suffixes[item.dataset.yAxisID];
          }}}
        }
      }
    });
  }

  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var figure = canvas.closest("figure");
    if (figure) { figure.hidden = false; }  // visible before drawing: Chart.js sizes to its box
    draw(canvas);
  });
}());
