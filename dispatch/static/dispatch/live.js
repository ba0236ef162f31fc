// The live board client: a store of case summaries fed by a snapshot, then by /ws/board/.
// Resume, don't lose: the client keeps the last event id it applied, sends it on every
// (re)connect, drops events it has already applied, and reloads its lists when told to resync.
"use strict";

class LiveBoard {
  constructor({ snapshotUrl, belongs, onChange, onEvent, onStatus, onCounts }) {
    this.snapshotUrl = snapshotUrl;
    this.belongs = belongs;
    this.onChange = onChange || (() => {});
    this.onEvent = onEvent || (() => {});
    this.onStatus = onStatus || (() => {});
    this.onCounts = onCounts || (() => {});
    this.cases = new Map();
    this.lastId = 0;
    this.attempt = 0;
    this.socket = null;
  }

  async load() {
    const response = await fetch(this.snapshotUrl, { credentials: "same-origin" });
    if (!response.ok) throw new Error("snapshot " + response.status);
    const data = await response.json();
    this.cases = new Map(data.cases.map((c) => [c.number, c]));
    this.lastId = data.last_id;
    this.onCounts(data.counts);
    this.onChange();
  }

  async start() {
    await this.load();
    this.connect();
    window.addEventListener("online", () => this.reconnectNow());
  }

  connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(scheme + location.host + "/ws/board/");
    this.socket = socket;
    socket.onopen = () => socket.send(JSON.stringify({ type: "resume", since: this.lastId }));
    socket.onmessage = (e) => this.handle(JSON.parse(e.data));
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.onStatus("offline");
      // Backoff with jitter: a restarted server is not hit by every board at the same instant. At
      // most ~12 s: an operator should not look at an "offline" banner long after the server is back.
      const delay = Math.min(8000, 500 * 2 ** this.attempt) * (0.5 + Math.random());
      this.attempt = Math.min(this.attempt + 1, 4);
      this.timer = setTimeout(() => this.connect(), delay);
    };
  }

  reconnectNow() {
    clearTimeout(this.timer);
    if (this.socket && this.socket.readyState <= 1) return;
    this.attempt = 0;
    this.connect();
  }

  async handle(message) {
    if (message.type === "synced") {
      this.attempt = 0;
      this.onStatus("online");
    } else if (message.type === "resync") {
      await this.load();
      this.lastId = Math.max(this.lastId, message.last_id || 0);
      this.onStatus("online");
    } else if (message.type === "event" && message.kind === "inspector.position") {
      this.onEvent(message, null);
    } else if (message.type === "event") {
      if (message.id <= this.lastId) return; // already applied (replay overlap)
      this.lastId = message.id;
      const before = this.cases.get(message.case.number) || null;
      if (this.belongs(message.case)) this.cases.set(message.case.number, message.case);
      else this.cases.delete(message.case.number);
      this.onEvent(message, before);
      this.onChange();
    }
  }
}

// Attention: a short tone (after the first click: browsers allow sound only then) and the tab title.
const Attention = {
  audio: null,
  arm() {
    document.addEventListener("click", () => {
      if (!this.audio) this.audio = new (window.AudioContext || window.webkitAudioContext)();
    }, { once: true });
  },
  beep() {
    if (!this.audio) return;
    const osc = this.audio.createOscillator();
    const gain = this.audio.createGain();
    osc.frequency.value = 880;
    gain.gain.value = 0.15;
    osc.connect(gain).connect(this.audio.destination);
    osc.start();
    osc.stop(this.audio.currentTime + 0.25);
  },
  title(base, count, red) {
    document.title = (red ? "🔴" + red + " " : "") + "(" + count + ") " + base;
  },
};
