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

    // The account form: each binding field names in data-roles the roles that need it, and
    // only the chosen role's fields show.
    Alpine.data("roleBinding", function () {
      return {
        role: "",
        init: function () { this.role = this.$el.dataset.role || ""; },
        pick: function (event) { this.role = event.target.value; },
        needed: function () {
          return (this.$el.dataset.roles || "").split(" ").indexOf(this.role) >= 0;
        },
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

    // The alarm console (queue and alarm screen): follows the server-sent events of
    // data-stream and reloads data-reload into x-ref="queue" when an alarm changes (the server
    // sorts and scopes it); on the queue, a new alarm row flashes and, when the operator turned
    // the sound on (a click: the browser's autoplay rule), beeps. data-alarm narrows the events
    // to one alarm (the alarm screen). An incoming call opens its screen-pop in #screen-pop.
    Alpine.data("alarmConsole", function () {
      return {
        sound: false,
        soundBlocked: false,
        live: "connecting",
        source: null,
        heard: 0,
        watch: null,
        pending: null,
        fresh: false,
        audio: null,
        known: null,
        init: function () {
          var self = this;
          this.sound = window.localStorage && localStorage.getItem("yiyang.alarmSound") === "on";
          if (this.sound) {
            this.context();
            if (this.audio && this.audio.state === "suspended") {
              this.soundBlocked = true;
              document.addEventListener("click", function () { self.unblock(); }, { once: true });
            }
          }
          this.known = this.ids();
          this.connect();
          this.watch = window.setInterval(function () { self.watchdog(); }, 5000);
        },
        destroy: function () {
          if (this.source) this.source.close();
          if (this.watch) window.clearInterval(this.watch);
        },
        get silent() { return !this.sound; },
        get soundPressed() { return this.sound ? "true" : "false"; },
        get liveClass() { return "is-" + this.live; },
        get liveText() {
          var words = this.$root.querySelector("[data-live-words]");
          return words ? words.dataset[this.live] || "" : "";
        },
        ids: function () {
          var found = {};
          var queue = this.$refs.queue;
          if (queue) queue.querySelectorAll("[data-alarm]").forEach(function (row) { found[row.dataset.alarm] = true; });
          return found;
        },
        connect: function () {
          var self = this;
          var source = new EventSource(this.$root.dataset.stream);
          this.source = source;
          this.heard = Date.now();
          source.onopen = function () { self.heard = Date.now(); self.live = "live"; };
          source.onerror = function () { self.live = "reconnecting"; };
          source.addEventListener("beat", function () { self.heard = Date.now(); });
          ["alarm.raised", "alarm.repeated", "alarm.stepped"].forEach(function (type) {
            source.addEventListener(type, function (event) { self.changed(type, event); });
          });
          source.addEventListener("resync", function () { self.heard = Date.now(); self.later(false); });
          source.addEventListener("call.received", function (event) { self.heard = Date.now(); self.pop(event); });
        },
        // A stream cut without a close (a proxy, a sleeping network) looks open for ever: when
        // nothing, not even a beat, came for three heartbeats, say so, connect again and reload
        // (alarms may have come meanwhile).
        watchdog: function () {
          var quiet = 3 * Number(this.$root.dataset.heartbeatMs);
          if (!this.source || Date.now() - this.heard <= quiet) return;
          this.source.close();
          this.live = "reconnecting";
          this.connect();
          this.later(false);
        },
        changed: function (type, event) {
          this.heard = Date.now();
          var only = this.$root.dataset.alarm;
          if (only) {
            var data = JSON.parse(event.data);
            if (!data.alarm || String(data.alarm.id) !== only) return;
          }
          this.later(type === "alarm.raised");
        },
        // Several events in a burst make one reload.
        later: function (fresh) {
          var self = this;
          this.fresh = this.fresh || fresh;
          if (this.pending) return;
          this.pending = window.setTimeout(function () { self.pending = null; self.reload(); }, 150);
        },
        reload: function () {
          var self = this, fresh = this.fresh;
          this.fresh = false;
          if (!this.$refs.queue || !window.htmx) return;
          window.htmx.ajax("GET", this.$root.dataset.reload, { target: this.$refs.queue, swap: "innerHTML" })
            .then(function () {
              var now = self.ids(), added = 0, critical = false;
              Object.keys(now).forEach(function (id) {
                if (self.known[id]) return;
                var row = self.$refs.queue.querySelector("[data-alarm='" + id + "']");
                if (row && row.matches("tr")) {
                  row.classList.add("is-new");
                  added += 1;
                  critical = critical || Number(row.dataset.severity) >= 4;
                }
              });
              self.known = now;
              if ((added || fresh) && !self.$root.dataset.alarm) self.beep(critical ? 3 : 1);
            });
        },
        pop: function (event) {
          var data = JSON.parse(event.data);
          var target = document.getElementById("screen-pop");
          if (!target || !window.htmx || !/^[0-9a-f-]{36}$/.test(data.id)) return;
          window.htmx.ajax("GET", "/console/calls/" + data.id, { target: target, swap: "innerHTML" });
          this.beep(2);
        },
        context: function () {
          var Ctx = window.AudioContext || window.webkitAudioContext;
          if (!this.audio && Ctx) this.audio = new Ctx();
          return this.audio;
        },
        unblock: function () {
          var audio = this.context();
          if (audio) audio.resume();
          this.soundBlocked = false;
        },
        flipSound: function () {
          this.sound = !this.sound;
          if (window.localStorage) localStorage.setItem("yiyang.alarmSound", this.sound ? "on" : "off");
          if (this.sound) { this.unblock(); this.beep(1); }
        },
        // A short two-tone beep per time, made with WebAudio (no sound file).
        beep: function (times) {
          if (!this.sound) return;
          var audio = this.context();
          if (!audio || audio.state !== "running") return;
          for (var i = 0; i < times; i += 1) {
            var start = audio.currentTime + i * 0.35;
            [880, 660].forEach(function (hz, j) {
              var osc = audio.createOscillator(), gain = audio.createGain();
              osc.type = "sine";
              osc.frequency.value = hz;
              gain.gain.setValueAtTime(0.0001, start + j * 0.14);
              gain.gain.exponentialRampToValueAtTime(0.3, start + j * 0.14 + 0.02);
              gain.gain.exponentialRampToValueAtTime(0.0001, start + j * 0.14 + 0.13);
              osc.connect(gain).connect(audio.destination);
              osc.start(start + j * 0.14);
              osc.stop(start + j * 0.14 + 0.14);
            });
          }
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

  // Waiting times that tick: an element with data-since (ISO 8601) shows m:ss since then,
  // and is marked past the answer targets (60 s, 180 s).
  window.setInterval(function () {
    document.querySelectorAll("[data-since]").forEach(function (el) {
      var since = Date.parse(el.dataset.since);
      if (isNaN(since)) return;
      var seconds = Math.max(0, Math.floor((Date.now() - since) / 1000));
      var h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
      var pad = function (n) { return (n < 10 ? "0" : "") + n; };
      el.textContent = (h ? h + ":" + pad(m) : m) + ":" + pad(s);
      el.classList.toggle("is-late", seconds > 60);
      el.classList.toggle("is-very-late", seconds > 180);
    });
  }, 1000);

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
