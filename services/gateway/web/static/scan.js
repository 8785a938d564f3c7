// The camera as an extra way to read a QR code into the check-in field (the
// lodge, the kiosk): offered only where the browser can read QR codes itself
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
  var stream = null;
  var detector = null;

  window.BarcodeDetector.getSupportedFormats()
    .then(function (formats) {
      if (formats.indexOf('qr_code') < 0 || !input || !input.form) return;
      detector = new window.BarcodeDetector({ formats: ['qr_code'] });
      row.hidden = false;
    })
    .catch(function () {});

  function stop() {
    if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
    stream = null;
    video.hidden = true;
    button.textContent = label;
  }

  function look() {
    if (!stream) return;
    detector.detect(video)
      .then(function (codes) {
        var code = codes.length > 0 ? codes[0].rawValue.trim() : '';
        if (!code) {
          window.setTimeout(look, 200);
          return;
        }
        stop();
        input.value = code;
        if (input.form.requestSubmit) input.form.requestSubmit(); else input.form.submit();
      })
      .catch(function () { window.setTimeout(look, 500); });
  }

  button.addEventListener('click', function () {
    if (stream) {
      stop();
      input.focus();
      return;
    }
    navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false })
      .then(function (s) {
        stream = s;
        video.srcObject = s;
        video.hidden = false;
        return video.play();
      })
      .then(function () {
        button.textContent = button.getAttribute('data-stop');
        status.textContent = '';
        look();
      })
      .catch(function () {
        stop();
        status.textContent = button.getAttribute('data-denied');
      });
  });
  window.addEventListener('pagehide', stop);
})();
