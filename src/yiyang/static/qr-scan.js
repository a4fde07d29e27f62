// Check-in with the elder's card: open the camera and read the QR code with the browser's own
// BarcodeDetector where there is one; otherwise (or if the camera is refused) type the code.
(function () {
  "use strict";

  function stop(box) {
    var video = box.querySelector("[data-qr-video]");
    if (video && video.srcObject) {
      video.srcObject.getTracks().forEach(function (t) { t.stop(); });
      video.srcObject = null;
    }
    box.querySelector("[data-qr-camera]").hidden = true;
    box.dataset.scanning = "";
  }

  function say(box, key) {
    box.querySelector("[data-qr-status]").textContent = key ? box.getAttribute(key) || "" : "";
  }

  function typeInstead(box, key) {
    stop(box);
    say(box, key);
    box.querySelector("input[name=qr_code]").focus();
  }

  function scan(box) {
    var form = box.querySelector("[data-qr-form]");
    var video = box.querySelector("[data-qr-video]");
    if (!("BarcodeDetector" in window) || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      typeInstead(box, "data-qr-unsupported");
      return;
    }
    var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false })
      .then(function (stream) {
        video.srcObject = stream;
        box.querySelector("[data-qr-camera]").hidden = false;
        box.dataset.scanning = "1";
        say(box, "data-qr-looking");
        return video.play().then(function () { look(box, form, video, detector); });
      })
      .catch(function () { typeInstead(box, "data-qr-denied"); });
  }

  function look(box, form, video, detector) {
    if (box.dataset.scanning !== "1") return;
    detector.detect(video).then(function (codes) {
      if (codes.length && codes[0].rawValue) {
        form.querySelector("input[name=qr_code]").value = codes[0].rawValue;
        stop(box);
        if (form.requestSubmit) form.requestSubmit(); else form.submit();
      } else {
        window.setTimeout(function () { look(box, form, video, detector); }, 250);
      }
    }).catch(function () { typeInstead(box, "data-qr-unsupported"); });
  }

  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target : null;
    var start = target && target.closest("[data-qr-start]");
    var halt = target && target.closest("[data-qr-stop]");
    if (start) {
      var box = start.closest("[data-qr]");
      start.hidden = true;
      box.querySelector("[data-qr-form]").hidden = false;
      scan(box);
    } else if (halt) {
      typeInstead(halt.closest("[data-qr]"), "");
    }
  });
})();
