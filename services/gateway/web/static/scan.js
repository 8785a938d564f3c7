// The camera as an extra way to read a QR code into the check-in field (the
// lodge, the kiosk): offered only where the browser reads QR codes itself
// (BarcodeDetector), on HTTPS, with a camera API; elsewhere nothing shows
// and the field takes a handheld scanner or typing, as always. The code read
// goes into the field and the form is sent, as a scanner would do.
(function () {
  var button = document.querySelector('[data-camera-for]');
  if (!button || !('BarcodeDetector' in window) || !window.isSecureContext ||
      !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    return;
  }
  var input = document.getElementById(button.getAttribute('data-camera-for'));
  var video = document.getElementById('camera-view');
  var status = document.getElementById('camera-status');
  var row = document.getElementById('camera-row');
  var label = button.textContent;
  var detector = null;
  var stream = null;
  // Each start of the camera is a new session; a stop ends it, and what a
  // late answer of an ended session brings (a stream, a code) is dropped.
  var session = 0;
  var active = false;

  window.BarcodeDetector.getSupportedFormats()
    .then(function (formats) {
      if (formats.indexOf('qr_code') < 0 || !input || !input.form) return;
      detector = new window.BarcodeDetector({ formats: ['qr_code'] });
      row.hidden = false;
    })
    .catch(function () {});

  function release(s) {
    if (s) s.getTracks().forEach(function (t) { t.stop(); });
  }

  function stop() {
    session += 1;
    active = false;
    release(stream);
    stream = null;
    video.hidden = true;
    button.textContent = label;
  }

  function look(mine) {
    if (mine !== session) return;
    detector.detect(video)
      .then(function (codes) {
        if (mine !== session) return;
        var code = codes.length > 0 ? codes[0].rawValue.trim() : '';
        if (!code) {
          window.setTimeout(function () { look(mine); }, 200);
          return;
        }
        stop();
        input.value = code;
        if (input.form.requestSubmit) input.form.requestSubmit(); else input.form.submit();
      })
      .catch(function () { window.setTimeout(function () { look(mine); }, 500); });
  }

  button.addEventListener('click', function () {
    if (active) {
      stop();
      input.focus();
      return;
    }
    active = true;
    var mine = ++session;
    button.textContent = button.getAttribute('data-stop');
    navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false })
      .then(function (s) {
        if (mine !== session) {  // stopped while the browser asked
          release(s);
          return null;
        }
        stream = s;
        video.srcObject = s;
        video.hidden = false;
        return video.play();
      })
      .then(function (played) {
        if (mine !== session || played === null) return;
        status.textContent = '';
        look(mine);
      })
      .catch(function () {
        if (mine !== session) return;
        stop();
        status.textContent = button.getAttribute('data-denied');
      });
  });
  window.addEventListener('pagehide', stop);
})();
