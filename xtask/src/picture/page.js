// The page's script: step by step with the keyboard, and, opened with #selftest, a check of
// its own pictures that the browser tests read from the page.
"use strict";
(function () {
  const steps = Array.from(document.querySelectorAll("section.step"));
  let at = -1;
  function go(i) {
    if (steps.length === 0) return;
    at = Math.max(0, Math.min(steps.length - 1, i));
    steps.forEach(function (s, j) { s.classList.toggle("current", j === at); });
    steps[at].scrollIntoView({ block: "start" });
    history.replaceState(null, "", "#" + steps[at].id);
  }
  document.addEventListener("keydown", function (e) {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    const keys = { ArrowRight: 1, ArrowDown: 1, j: 1, PageDown: 1, " ": 1,
      ArrowLeft: -1, ArrowUp: -1, k: -1, PageUp: -1 };
    if (e.key === "Home") { go(0); } else if (e.key === "End") { go(steps.length - 1); }
    else if (keys[e.key]) { go(at + keys[e.key]); } else { return; }
    e.preventDefault();
  });
  const errors = [];
  window.addEventListener("error", function (e) { errors.push(String(e.message)); });
  if (location.hash !== "#selftest") return;
  function overlaps(a, b) {
    return a.left < b.right - 0.5 && b.left < a.right - 0.5 &&
      a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5;
  }
  const report = { steps: [], errors: errors };
  steps.forEach(function (s) {
    const svgs = Array.from(s.querySelectorAll("svg.unp"));
    const found = { id: s.id, packets: Number(s.dataset.packets), arrows: 0, figures: [],
      overlaps: [] };
    found.arrows = s.querySelectorAll("svg.timeline line.arrow").length;
    svgs.forEach(function (svg) {
      found.figures.push(svg.getAttribute("class"));
      const texts = Array.from(svg.querySelectorAll("text")).filter(function (t) {
        return t.textContent.trim() !== "";
      });
      const boxes = texts.map(function (t) { return t.getBoundingClientRect(); });
      for (let i = 0; i < boxes.length; i++) {
        for (let j = i + 1; j < boxes.length; j++) {
          if (overlaps(boxes[i], boxes[j])) {
            found.overlaps.push([texts[i].textContent, texts[j].textContent]);
          }
        }
      }
    });
    report.steps.push(found);
  });
  const out = document.getElementById("selftest");
  out.textContent = "SELFTEST " + JSON.stringify(report);
  out.hidden = false;
})();
