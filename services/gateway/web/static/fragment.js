// The links in messages carry what opens a page in the URL's fragment
// (/rdv#REFERENCE-CODE, /confirmer#MESSAGE-TOKEN, ...), which browsers never
// send to a server. This script, on the same origin, fills the page's form
// with it (the form's data-fragment names one field for the whole, or two
// for the halves around the "-"), clears the fragment and posts the form;
// also when only the fragment changes (a link followed from the same page).
// Without JavaScript the person types it (the message shows it too).
// Nothing changes on the way: the form only looks up.
(function () {
  function post() {
    var form = document.querySelector('form[data-fragment]');
    var match = /^#([A-Za-z0-9]+)-([A-Za-z0-9]+)$/.exec(window.location.hash);
    if (!form || !match) return;
    var fields = form.getAttribute('data-fragment').split(' ');
    if (fields.length === 2) {
      form.elements[fields[0]].value = match[1];
      form.elements[fields[1]].value = match[2];
    } else {
      form.elements[fields[0]].value = match[1] + '-' + match[2];
    }
    history.replaceState(null, '', window.location.pathname);
    form.submit();
  }
  window.addEventListener('hashchange', post);
  post();
})();
