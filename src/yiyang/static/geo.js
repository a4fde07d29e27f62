// Check-in / check-out: fill a form's lat, lon and accuracy from navigator.geolocation, then submit.
// A form opts in with data-geo; without a position it is still submitted (the server flags it).
(function () {
  "use strict";

  function setField(form, name, value) {
    var input = form.querySelector('input[name="' + name + '"]');
    if (input) input.value = value === null || value === undefined ? "" : String(value);
  }

  function say(form, text) {
    var out = form.querySelector("[data-geo-status]");
    if (out) out.textContent = text;
  }

  function finish(form) {
    form.dataset.geoDone = "1";
    if (form.requestSubmit) form.requestSubmit(); else form.submit();
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-geo")) return;
    if (form.dataset.geoDone === "1") return;
    event.preventDefault();
    var buttons = form.querySelectorAll("button");
    buttons.forEach(function (b) { b.disabled = true; });
    say(form, form.getAttribute("data-geo-wait") || "…");
    if (!("geolocation" in navigator)) {
      setField(form, "geo_error", "unsupported");
      finish(form);
      return;
    }
    navigator.geolocation.getCurrentPosition(
      function (pos) {
        setField(form, "lat", pos.coords.latitude.toFixed(6));
        setField(form, "lon", pos.coords.longitude.toFixed(6));
        setField(form, "accuracy_m", Math.round(pos.coords.accuracy * 10) / 10);
        finish(form);
      },
      function (err) {
        setField(form, "geo_error", err && err.code ? "code_" + err.code : "error");
        say(form, form.getAttribute("data-geo-failed") || "");
        finish(form);
      },
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 0 }
    );
  }, true);
})();
