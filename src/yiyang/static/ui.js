// Page behaviour with no inline script, so the Content-Security-Policy can forbid it: Alpine
// components registered by name (pages only name them and their methods; request values reach
// them as data-* attributes, never as code) and a few listeners driven by data-* attributes.
// Load it before Alpine's CSP build so the components exist when Alpine starts.
(function () {
  "use strict";

  document.addEventListener("alpine:init", function () {
    var Alpine = window.Alpine;

    // Something that opens and shuts (the user menu, the refuse form, the long candidate
    // list); data-open="true" starts it open.
    Alpine.data("toggle", function () {
      return {
        open: false,
        init: function () { this.open = this.$el.dataset.open === "true"; },
        get closed() { return !this.open; },
        flip: function () { this.open = !this.open; },
        close: function () { this.open = false; },
      };
    });

    // Street and community filters: choosing a street narrows the communities offered.
    // The form carries the chosen street in data-street; each optgroup names its own.
    Alpine.data("areaFilter", function () {
      return {
        street: "",
        init: function () { this.street = this.$el.dataset.street || ""; },
        pickStreet: function (event) {
          this.street = event.target.value;
          if (this.$refs.community) this.$refs.community.value = "";
        },
        inStreet: function () { return !this.street || this.street === this.$el.dataset.street; },
      };
    });

    // Time left before an offer runs out (the provider's home page): the deadline comes as
    // data-deadline (ISO 8601), the words shown once it has passed as data-expired.
    Alpine.data("countdown", function () {
      return {
        left: "",
        timer: null,
        init: function () {
          var self = this;
          var deadline = Date.parse(this.$el.dataset.deadline || "");
          if (isNaN(deadline)) return;
          var tick = function () {
            var seconds = Math.floor((deadline - Date.now()) / 1000);
            if (seconds <= 0) {
              self.left = self.$el.dataset.expired || "0:00";
              self.$el.classList.add("is-expired");
              window.clearInterval(self.timer);
              return;
            }
            var h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60);
            var s = seconds % 60, pad = function (n) { return (n < 10 ? "0" : "") + n; };
            self.left = (h ? h + ":" + pad(m) : m) + ":" + pad(s);
            self.$el.classList.toggle("is-soon", seconds < 300);
          };
          tick();
          this.timer = window.setInterval(tick, 1000);
        },
        destroy: function () { window.clearInterval(this.timer); },
      };
    });

    // "I have arrived" on the responder's phone: the browser's location fills lat and lon and
    // the form is sent; when the location is refused or unavailable, the typed reason field
    // opens instead (data-open="true" starts it open, data-denied / data-wait are the words).
    Alpine.data("arrivalGeo", function () {
      return {
        busy: false,
        typed: false,
        status: "",
        init: function () { this.typed = this.$el.dataset.open === "true"; },
        send: function () {
          var form = this.$root;
          if (form.requestSubmit) form.requestSubmit(); else form.submit();
        },
        fail: function () {
          this.busy = false;
          this.typed = true;
          this.status = this.$root.dataset.denied || "";
        },
        locate: function () {
          var self = this;
          if (!("geolocation" in navigator)) { self.fail(); return; }
          self.busy = true;
          self.status = self.$root.dataset.wait || "";
          navigator.geolocation.getCurrentPosition(
            function (pos) {
              self.$refs.lat.value = pos.coords.latitude.toFixed(6);
              self.$refs.lon.value = pos.coords.longitude.toFixed(6);
              self.send();
            },
            function () { self.fail(); },
            { enableHighAccuracy: true, timeout: 15000, maximumAge: 30000 }
          );
        },
      };
    });

    // The "at a time of my choosing" field of the one-tap order, shown with that slot only.
    Alpine.data("slotTime", function () {
      return {
        show: false,
        // A choice ticked before the script ran (a quick tap on a slow phone) still counts.
        init: function () { this.show = this.$el.dataset.open === "true"; this.follow(true); },
        follow: function (keep) {
          var name = this.$el.dataset.name || "slot", value = this.$el.dataset.value || "at";
          var at = this.$root.closest("form").querySelector("input[name=" + name + "][value=" + value + "]");
          if (keep === true && !(at && at.checked)) return;
          this.show = Boolean(at && at.checked);
        },
      };
    });
  });

  // A select that applies its filters as soon as it changes (the catalog).
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el instanceof HTMLSelectElement && el.hasAttribute("data-autosubmit") && el.form) {
      if (el.form.requestSubmit) el.form.requestSubmit(); else el.form.submit();
    }
  });

  // A field that searches by itself (its own hx-trigger) keeps its change event from the
  // form around it, whose hx-trigger="change" would otherwise reload on every search.
  document.addEventListener("change", function (event) {
    if (event.target instanceof Element && event.target.hasAttribute("data-own-change")) {
      event.stopPropagation();
    }
  }, true);

  // A form that asks first: data-confirm holds the question.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  });

  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target : null;
    if (!target) return;
    if (target.closest("[data-print]")) window.print();
    var closer = target.closest("[data-close-details]");
    if (closer && closer.closest("details")) closer.closest("details").open = false;
  });

  // A form whose refusal is a page of words (422 with the field's message, the caller
  // lookup) shows it in place: data-swap-refusals around the element it replaces.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var elt = event.target instanceof Element ? event.target : null;
    var status = event.detail && event.detail.xhr ? event.detail.xhr.status : 0;
    if (elt && elt.closest("[data-swap-refusals]") && (status === 422 || status === 403)) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // A list that refreshes itself (the alert screen) holds still while a note is being
  // written in it: htmx asks before each request, and an open <details> says no.
  document.addEventListener("htmx:confirm", function (event) {
    var elt = event.detail && event.detail.elt;
    if (elt && elt.hasAttribute("data-hold-while-open") && elt.querySelector("details[open]")) {
      event.preventDefault();
    }
  });
})();
