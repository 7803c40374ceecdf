// Sidetrack: small enhancements only; every page works without this file.
// 1. Filter forms marked data-auto-submit submit when a select changes, leaving out empty fields.
// 2. The listening range switch swaps just the listening section (the server sends that part
//    alone when asked with the X-Sidetrack-Partial header) and keeps the address shareable.
(function () {
  "use strict";

  function submitWithoutEmpties(form) {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, name) {
      if (String(value).trim() !== "") params.append(name, value);
    });
    var query = params.toString();
    window.location.assign(form.action + (query ? "?" + query : ""));
  }

  document.querySelectorAll("form[data-auto-submit]").forEach(function (form) {
    form.addEventListener("change", function (event) {
      if (event.target.tagName === "SELECT") submitWithoutEmpties(form);
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      submitWithoutEmpties(form);
    });
  });

  // Long calendars scroll sideways on a phone: start at the latest days.
  function showLatest(root) {
    root.querySelectorAll(".scroll-x").forEach(function (box) {
      box.scrollLeft = box.scrollWidth;
    });
  }
  showLatest(document);

  document.addEventListener("click", function (event) {
    var link = event.target.closest("[data-range-switch] a");
    if (!link || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    var section = document.getElementById("listening");
    if (!section || !window.fetch) return;
    event.preventDefault();
    section.setAttribute("aria-busy", "true");
    fetch(link.href, { headers: { "X-Sidetrack-Partial": "listening" } })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.text();
      })
      .then(function (html) {
        section.outerHTML = html;
        history.replaceState(null, "", link.href);
        showLatest(document.getElementById("listening") || document);
        var current = document.querySelector('#listening [data-range-switch] a[aria-current]');
        if (current) current.focus();
      })
      .catch(function () {
        window.location.assign(link.href);
      });
  });
})();
