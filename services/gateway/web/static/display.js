// The waiting-room board (/ecran): the calls arrive as Server-Sent Events
// from /ecran/flux (services/gateway/display_hub.h). The board is redrawn
// from each "board" event; a "ping" comes every 15 s, and when nothing has
// come for 45 s the connection is opened again (EventSource alone would
// not notice a connection silently gone). The chime needs a tap first, as
// browsers require before a page may play sound.
(function () {
  var calls = document.getElementById('calls');
  if (!calls) return;
  var state = document.getElementById('display-state');
  var empty = document.getElementById('display-empty');
  var chime = document.getElementById('chime');
  var words = document.getElementById('display-words').dataset;
  var audio = null;
  var source = null;
  var last = Date.now();

  function draw(board) {
    while (calls.firstChild) calls.removeChild(calls.firstChild);
    board.calls.forEach(function (call) {
      var item = document.createElement('li');
      var ticket = document.createElement('span');
      ticket.className = 'accueil-display__ticket';
      ticket.dir = 'ltr';
      ticket.textContent = call.ticket;
      var counter = document.createElement('span');
      counter.className = 'accueil-display__counter';
      counter.textContent = call.counter;
      item.appendChild(ticket);
      item.appendChild(counter);
      if (board.call === call.ticket) item.className = 'accueil-display__new';
      calls.appendChild(item);
    });
    empty.hidden = board.calls.length > 0;
    if (board.call && audio) ring();
  }

  function ring() {
    // Two soft tones, drawn by the browser (no sound file to fetch).
    [660, 880].forEach(function (frequency, i) {
      var tone = audio.createOscillator();
      var gain = audio.createGain();
      tone.frequency.value = frequency;
      gain.gain.setValueAtTime(0.0001, audio.currentTime + i * 0.35);
      gain.gain.exponentialRampToValueAtTime(0.3, audio.currentTime + i * 0.35 + 0.05);
      gain.gain.exponentialRampToValueAtTime(0.0001, audio.currentTime + i * 0.35 + 0.6);
      tone.connect(gain).connect(audio.destination);
      tone.start(audio.currentTime + i * 0.35);
      tone.stop(audio.currentTime + i * 0.35 + 0.65);
    });
  }

  function connect() {
    if (source) source.close();
    source = new EventSource('/ecran/flux');
    source.addEventListener('open', function () {
      last = Date.now();
      state.textContent = words.live;
    });
    source.addEventListener('board', function (event) {
      last = Date.now();
      state.textContent = words.live;
      draw(JSON.parse(event.data));
    });
    source.addEventListener('ping', function () {
      last = Date.now();
    });
    source.addEventListener('error', function () {
      state.textContent = words.reconnecting;
    });
  }

  setInterval(function () {
    if (Date.now() - last > 45000) {
      state.textContent = words.reconnecting;
      last = Date.now();
      connect();
    }
  }, 5000);

  if (chime && (window.AudioContext || window.webkitAudioContext)) {
    chime.hidden = false;
    chime.addEventListener('click', function () {
      if (!audio) audio = new (window.AudioContext || window.webkitAudioContext)();
      audio.resume();
      chime.textContent = words.soundActive;
      chime.setAttribute('aria-pressed', 'true');
      ring();
    });
  }
  connect();
})();
