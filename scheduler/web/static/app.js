// A little help on top of pages that work without it: the diff's "changes only" switch acts at
// once, and j / k jump to the next / previous change.
"use strict";
(function () {
  const toggle = document.querySelector("[data-toggle=only-changes]");
  const diff = document.querySelector("[data-diff]");
  if (toggle && diff) {
    toggle.addEventListener("change", function () {
      diff.classList.toggle("only-changes", toggle.checked);
      const url = new URL(window.location.href);
      if (toggle.checked) { url.searchParams.set("only", "1"); } else { url.searchParams.delete("only"); }
      window.history.replaceState(null, "", url);
    });
  }
  const marks = Array.from(document.querySelectorAll(".change-nav"));
  if (marks.length) {
    let current = -1;
    document.addEventListener("keydown", function (event) {
      const target = event.target;
      if (target instanceof HTMLInputElement || target instanceof HTMLSelectElement || event.ctrlKey || event.metaKey || event.altKey) { return; }
      if (event.key !== "j" && event.key !== "k") { return; }
      current = event.key === "j" ? Math.min(current + 1, marks.length - 1) : Math.max(current - 1, 0);
      marks[current].scrollIntoView({ block: "center" });
      window.history.replaceState(null, "", "#" + marks[current].id);
    });
  }
})();
