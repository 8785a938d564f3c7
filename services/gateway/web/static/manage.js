// The links in messages carry the reference and the access code in the URL's
// fragment (/rdv#REFERENCE-CODE), which browsers never send to a server: this
// script, on the same origin, fills the form with them and posts it, then
// clears the fragment. Without JavaScript the person types them (the message
// shows them too). Nothing changes on the way: the form only looks up.
(function () {
  var form = document.getElementById('manage-form');
  var match = /^#([A-Za-z0-9]+)-([A-Za-z0-9]+)$/.exec(window.location.hash);
  if (!form || !match) return;
  form.elements.reference.value = match[1];
  form.elements.access_code.value = match[2];
  history.replaceState(null, '', window.location.pathname);
  form.submit();
})();
