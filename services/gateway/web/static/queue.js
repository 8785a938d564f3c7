// The queue on the lodge's and the counter's pages stays live: every 10
// seconds the section is fetched again (GET /agent/file/{site}, the agent's
// session cookie: one audited call) and put in place when it changed (only
// the time when nothing else did). Not while the page is hidden, nor while
// the agent's focus is inside it; a button pauses it (WCAG 2.2.2), and ten
// minutes without a key or a touch pause it too, so an unattended screen
// neither keeps its session alive nor fills the audit log. A session that
// ended stops it. What it says goes in a status line beside the section.
// Without JavaScript the section's button reloads the page.
(function () {
  var PERIOD_MS = 10000;
  var IDLE_MS = 10 * 60 * 1000;
  var first = document.querySelector('section[data-live]');
  if (!first) return;
  var url = first.getAttribute('data-live');
  var last = '';
  var timer = null;
  var busy = false;  // a fetch in flight
  var stopped = false;  // the session ended
  var paused = false;  // the agent paused it
  var idle = false;  // paused for want of activity
  var lastInput = Date.now();

  // The controls live outside the section, which is replaced.
  var bar = document.createElement('p');
  bar.className = 'fr-mb-1w';
  var toggle = document.createElement('button');
  toggle.type = 'button';
  toggle.className = 'fr-btn fr-btn--tertiary-no-outline fr-btn--sm';
  toggle.id = 'queue-pause';
  var note = document.createElement('span');
  note.className = 'fr-hint-text';
  note.id = 'queue-note';
  note.setAttribute('role', 'status');
  bar.appendChild(toggle);
  bar.appendChild(note);
  first.parentNode.insertBefore(bar, first);

  function label() {
    toggle.textContent = paused ? 'Reprendre la mise à jour de la file'
                                : 'Suspendre la mise à jour de la file';
  }
  label();

  // The section without its time, to tell a real change from a minute gone.
  function withoutTime(html) {
    return html.replace(/<span[^>]*id="queue-time"[^>]*>[^<]*<\/span>/, '');
  }

  function schedule() {
    if (timer === null && !busy && !stopped && !paused && !idle) {
      timer = window.setTimeout(tick, PERIOD_MS);
    }
  }

  function tick() {
    timer = null;
    if (stopped || paused || document.hidden) return;  // visibilitychange restarts it
    if (Date.now() - lastInput > IDLE_MS) {
      idle = true;
      note.textContent = 'Mise à jour suspendue faute d\u2019activité : touchez la page pour la reprendre.';
      return;
    }
    busy = true;
    fetch(url, { credentials: 'same-origin', headers: { Accept: 'text/html' } })
      .then(function (response) {
        if (response.status === 401 || response.status === 403) {
          stopped = true;
          toggle.hidden = true;
          note.textContent = 'Session terminée : rechargez la page pour suivre la file.';
          return '';
        }
        return response.ok ? response.text() : '';
      })
      .then(function (html) {
        busy = false;
        var current = document.querySelector('section[data-live]');
        if (html && current && !current.contains(document.activeElement)) {
          var holder = document.createElement('div');
          holder.innerHTML = html;
          var fresh = holder.querySelector('section[data-live]');
          if (fresh && withoutTime(html) !== last) {
            current.replaceWith(fresh);
            last = withoutTime(html);
          } else if (fresh) {
            var time = current.querySelector('#queue-time');
            var freshTime = fresh.querySelector('#queue-time');
            if (time && freshTime) time.textContent = freshTime.textContent;
          }
        }
        schedule();
      })
      .catch(function () {
        busy = false;
        schedule();  // the network comes back: try again next time
      });
  }

  // Now: a fetch at once, the pending one dropped (one loop, never two).
  function now() {
    if (timer !== null) window.clearTimeout(timer);
    timer = null;
    if (!busy) tick();
  }

  function active() {
    lastInput = Date.now();
    if (idle) {
      idle = false;
      note.textContent = '';
      now();
    }
  }
  ['keydown', 'pointerdown', 'touchstart', 'wheel'].forEach(function (type) {
    document.addEventListener(type, active, { passive: true });
  });
  toggle.addEventListener('click', function () {
    paused = !paused;
    label();
    note.textContent = paused ? 'Mise à jour de la file suspendue.' : '';
    if (!paused) now();
  });
  document.addEventListener('visibilitychange', function () {
    if (!document.hidden) now();
  });
  schedule();
})();
