// The queue on the lodge's and the counter's pages stays live: every 5
// seconds the section is fetched again (GET /agent/file/{site}, the agent's
// session cookie) and put in place when it changed. Not while the page is
// hidden, nor while the agent is inside the section (focus kept). A session
// that ended stops it and says so; without JavaScript the section's button
// reloads the page.
(function () {
  var PERIOD_MS = 5000;
  var section = document.querySelector('section[data-live]');
  if (!section) return;
  var url = section.getAttribute('data-live');
  var last = section.outerHTML;
  var timer = null;
  var busy = false;  // a fetch in flight

  function schedule() {
    timer = window.setTimeout(tick, PERIOD_MS);
  }

  function tick() {
    timer = null;
    if (document.hidden) return;  // visibilitychange starts it again
    busy = true;
    fetch(url, { credentials: 'same-origin', headers: { Accept: 'text/html' } })
      .then(function (response) {
        if (response.status === 401 || response.status === 403) {
          var note = document.getElementById('queue-time');
          if (note) note.textContent = 'Session terminée : rechargez la page pour suivre la file.';
          return null;
        }
        return response.ok ? response.text() : '';
      })
      .then(function (html) {
        busy = false;
        if (html === null) return;  // stopped
        var current = document.querySelector('section[data-live]');
        var inside = current && current.contains(document.activeElement);
        if (html && html !== last && current && !inside) {
          var holder = document.createElement('div');
          holder.innerHTML = html;
          var fresh = holder.querySelector('section[data-live]');
          if (fresh) {
            current.replaceWith(fresh);
            last = html;
          }
        }
        schedule();
      })
      .catch(function () {
        busy = false;
        schedule();  // the network comes back: try again next time
      });
  }

  document.addEventListener('visibilitychange', function () {
    if (!document.hidden && timer === null && !busy) tick();
  });
  schedule();
})();
