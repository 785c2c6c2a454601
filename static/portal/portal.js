/* Progress of recalculations and exports: poll a JSON status URL (portal.progress.job_state)
   while the job is queued or running, show its state, step and "n of N (p%)", then reload
   so the page shows the result. No framework, no build step. */
(function () {
  "use strict";
  function poll(el) {
    var url = el.getAttribute("data-poll-url");
    function show(data) {
      var label = el.querySelector("[data-status]");
      if (label) { label.textContent = data.status_display || data.status; }
      var text = el.querySelector("[data-progress-text]");
      if (text && data.progress_text) { text.textContent = data.progress_text; }
      var bar = el.querySelector(".progress");
      if (bar && data.progress) {
        bar.setAttribute("aria-valuenow", data.progress.percent);
        bar.firstElementChild.style.width = data.progress.percent + "%";
      }
      if (data.steps) {
        el.querySelectorAll("[data-step]").forEach(function (step) {
          step.className = data.steps[step.getAttribute("data-step")] || "";
        });
      }
    }
    function tick() {
      fetch(url, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
        .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
        .then(function (data) {
          show(data);
          if (data.active) { setTimeout(tick, 1000); } else { window.location.reload(); }
        })
        .catch(function () { setTimeout(tick, 5000); });
    }
    setTimeout(tick, 1000);
  }
  document.querySelectorAll("[data-poll-url]").forEach(poll);
  // Selects marked data-autosubmit submit their form on change (quarter pickers, language).
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
  // Methodology weights: the running sum, which must reach 100 before publishing.
  document.querySelectorAll("form[data-weights]").forEach(function (form) {
    var output = form.querySelector("[data-weights-total]");
    var off = form.querySelector("[data-weights-off]");
    function update() {
      var cents = 0;
      form.querySelectorAll("input[data-weight]").forEach(function (input) {
        var value = parseFloat((input.value || "0").replace(",", "."));
        if (!isNaN(value)) { cents += Math.round(value * 1000); }
      });
      var total = cents / 1000;
      if (output) { output.textContent = String(total); }
      if (off) { off.hidden = cents === 100000; }
    }
    form.addEventListener("input", update);
    update();
  });
  // Bulk actions: "select all on this page" ticks every row checkbox of its form
  // (form="<id>"); "all matching the filter" ticks them too, the server takes the filter.
  document.querySelectorAll("input[data-select-all]").forEach(function (all) {
    var id = all.getAttribute("data-select-all");
    var form = document.getElementById(id);
    function boxes() { return document.querySelectorAll('input[type="checkbox"][name="selected"][form="' + id + '"]'); }
    all.addEventListener("change", function () {
      boxes().forEach(function (box) { box.checked = all.checked; });
    });
    var scope = form && form.querySelector('input[name="scope"][value="all"]');
    if (scope) {
      scope.addEventListener("change", function () {
        if (scope.checked) { all.checked = true; boxes().forEach(function (box) { box.checked = true; }); }
      });
    }
  });
})();
