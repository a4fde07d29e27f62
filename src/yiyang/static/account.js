// Account pages with no inline script: copy a shown-once value, print the recovery codes,
// and ask before revoking a token. Behaviour comes from data-* attributes only.
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var copy = event.target.closest("[data-copy]");
    if (copy) {
      var source = document.getElementById(copy.dataset.copy);
      if (source && navigator.clipboard) {
        navigator.clipboard.writeText(source.innerText.trim()).then(function () {
          copy.textContent = copy.dataset.copied || copy.textContent;
        });
      }
      return;
    }
    if (event.target.closest("[data-print]")) {
      window.print();
    }
  });

  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    if (button && button.dataset.confirm && !window.confirm(button.dataset.confirm)) {
      event.preventDefault();
    }
  });
})();
