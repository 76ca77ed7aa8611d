// The performer console: controls generated from /console.json, values over the OSCQuery
// WebSocket (/ws: LISTEN, binary OSC both ways), the monitor over /monitor.
"use strict";
(() => {
  const state = { controls: new Map(), ws: null, pictures: 0, values: 0, learning: "off",
                  learnMode: false, ready: false, awaiting: new Set() };
  window.performerConsole = state;  // what tests and curious people can read
  const HOLD_MS = 300;  // after a local move, feedback for that control waits this long
  const BUTTON_CHOICES = 20;  // longer choice lists (MIDI learn's) are a drop-down
  const $ = (id) => document.getElementById(id);

  // Token in the address: it is now a same-site cookie, so take it out of the address bar.
  if (location.search.includes("token=")) history.replaceState(null, "", location.pathname);

  const shape = (p, pos) => (p.curve === "square" ? pos * pos : pos);
  function shown(p, pos) {
    if (p.kind === "toggle") return pos >= 0.5 ? "on" : "off";
    let value = p.minimum + shape(p, pos) * (p.maximum - p.minimum);
    if (p.kind === "int") value = Math.round(value);
    else value = Math.abs(value) >= 100 ? value.toFixed(0) : value.toFixed(value < 10 ? 3 : 1);
    return p.unit ? `${value} ${p.unit}` : `${value}`;
  }
  const wideInt = (p) => p.kind === "int" && p.maximum - p.minimum > 1000;

  function send(address, value, tag) {
    if (state.ws && state.ws.readyState === WebSocket.OPEN)
      state.ws.send(OSC.encode(address, value, tag));
  }

  // Each control: an element, how to send its position, how to show a value received.
  function build(p) {
    const row = document.createElement("div");
    row.className = "control";
    row.dataset.param = p.name;
    row.title = p.description;
    const id = "c-" + p.name.replace(/\W/g, "-");
    const name = document.createElement("label");
    name.textContent = p.label;
    name.htmlFor = id;
    const out = document.createElement("output");
    out.htmlFor = id;
    const c = { p, row, out, heldUntil: 0, dragging: false, pending: null, listen: p.address };
    let input;
    if (p.kind === "trigger") {
      input = document.createElement("button");
      input.type = "button";
      input.textContent = p.label;
      input.className = "wide";
      input.addEventListener("click", () => send(p.address, 1, "i"));
      row.append(input);
      c.listen = null;
      c.show = () => {};
    } else if (p.kind === "toggle") {
      input = document.createElement("button");
      input.type = "button";
      input.textContent = p.label;
      input.className = "wide";
      input.setAttribute("aria-pressed", "false");
      input.addEventListener("click", () => {
        const on = input.getAttribute("aria-pressed") !== "true";
        input.setAttribute("aria-pressed", String(on));
        c.heldUntil = performance.now() + HOLD_MS;
        send(p.address, on ? 1 : 0, "i");
      });
      row.append(input);
      c.show = (v) => input.setAttribute("aria-pressed", String(v >= 0.5));
    } else if (p.kind === "choice" && p.choices.length <= BUTTON_CHOICES) {
      // A short list (layers, death orders, scenes): one button each, one tap away.
      input = document.createElement("div");
      input.className = "choices";
      input.setAttribute("role", "group");
      input.setAttribute("aria-label", p.label);
      const buttons = p.choices.map((choice, i) => {
        const b = document.createElement("button");
        b.type = "button";
        b.textContent = choice;
        b.setAttribute("aria-pressed", "false");
        b.addEventListener("click", () => {
          c.heldUntil = performance.now() + HOLD_MS;
          c.show(i + 1);
          send(p.address, i + 1, "i");
        });
        input.append(b);
        return b;
      });
      row.append(name, out, input);
      c.show = (v) => {
        buttons.forEach((b, i) => b.setAttribute("aria-pressed", String(i + 1 === v)));
        out.textContent = p.choices[v - 1] ?? "";
      };
    } else if (p.kind === "choice") {
      input = document.createElement("select");
      p.choices.forEach((choice, i) => input.add(new Option(choice, String(i + 1))));
      input.addEventListener("change", () => {
        c.heldUntil = performance.now() + HOLD_MS;
        send(p.address, Number(input.value), "i");
      });
      row.append(name, out, input);
      c.show = (v) => { input.value = String(v); };
    } else if (wideInt(p)) {
      input = document.createElement("input");
      input.type = "number";
      input.min = p.minimum; input.max = p.maximum; input.step = 1;
      input.addEventListener("change", () => {
        c.heldUntil = performance.now() + HOLD_MS;
        send(p.raw_address, Math.round(Number(input.value) || 0), "i");
      });
      c.listen = p.raw_address;
      row.append(name, out, input);
      c.show = (v) => { if (document.activeElement !== input) input.value = String(v); };
    } else {
      input = document.createElement("input");
      input.type = "range";
      input.min = 0; input.max = 1;
      input.step = p.kind === "int" ? 1 / Math.max(p.maximum - p.minimum, 1) : 0.001;
      input.addEventListener("pointerdown", () => { c.dragging = true; });
      const release = () => {
        c.dragging = false;
        c.heldUntil = performance.now() + HOLD_MS;
        setTimeout(() => { if (c.pending !== null) { c.show(c.pending); c.pending = null; } },
                   HOLD_MS + 10);
      };
      input.addEventListener("pointerup", release);
      input.addEventListener("pointercancel", release);
      input.addEventListener("input", () => {
        c.heldUntil = performance.now() + HOLD_MS;
        out.textContent = shown(p, Number(input.value));
        send(p.address, Number(input.value), "f");
      });
      row.append(name, out, input);
      c.show = (v) => { input.value = String(v); out.textContent = shown(p, v); };
    }
    input.id = id;
    c.input = input;
    row.addEventListener("click", (event) => {
      if (!state.learnMode || p.name === "midi.learn") return;
      event.preventDefault();
      event.stopPropagation();
      send("/performer/raw/midi/learn", p.name, "s");
      setLearnMode(false);
    }, true);
    return c;
  }

  // A value from the show. While the control is in a person's hand, it waits.
  function received(address, value) {
    state.values++;
    if (state.awaiting.delete(address) && state.awaiting.size === 0) state.ready = true;
    if (address === "/performer/raw/midi/learn") { showLearning(String(value)); return; }
    const c = state.byAddress.get(address);
    if (!c) return;
    if (c.dragging || performance.now() < c.heldUntil) { c.pending = value; return; }
    c.pending = null;
    c.show(value);
    c.row.dataset.value = String(value);
  }

  function setLearnMode(on) {
    state.learnMode = on;
    $("learn").setAttribute("aria-pressed", String(on));
    for (const c of state.controls.values()) c.row.classList.toggle("learnable", on);
    if (on) showBanner("MIDI learn: pick the control a knob should drive (Esc cancels)");
    else showLearning(state.learning);
  }
  function showBanner(text) {
    $("learning").hidden = !text;
    $("learning").textContent = text || "";
  }
  function showLearning(target) {
    state.learning = target;
    if (state.learnMode) return;
    showBanner(target !== "off" ? `MIDI learn: move a control to drive ${target}` : "");
  }

  function connect() {
    const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`);
    ws.binaryType = "arraybuffer";
    ws.onopen = () => {
      state.ws = ws;
      $("link").textContent = "live";
      $("link").classList.add("up");
      // Ready once every control shows the show's value (LISTEN answers with it).
      state.awaiting = new Set(["/performer/raw/midi/learn"]);
      for (const c of state.controls.values()) if (c.listen) state.awaiting.add(c.listen);
      for (const path of state.awaiting) ws.send(JSON.stringify({ COMMAND: "LISTEN", DATA: path }));
    };
    ws.onmessage = (event) => {
      if (typeof event.data === "string") {
        const note = JSON.parse(event.data);
        if (note.COMMAND === "PATH_CHANGED") location.reload();
        else if (note.COMMAND === "ERROR") console.warn("performer refused:", note.DATA);
        return;
      }
      for (const m of OSC.decode(event.data)) if (m.args.length) received(m.address, m.args[0]);
    };
    ws.onclose = () => {
      state.ws = null;
      state.ready = false;
      $("link").textContent = "reconnecting…";
      $("link").classList.remove("up");
      setTimeout(connect, 1000);
    };
  }

  // --- monitor ----------------------------------------------------------------------
  function drawMap(map) {
    const canvas = $("map");
    const g = canvas.getContext("2d");
    const bits = Uint8Array.from(atob(map.bits), (ch) => ch.charCodeAt(0));
    const alive = (i) => (bits[i >> 3] >> (7 - (i & 7))) & 1;
    const width = canvas.width;
    const cell = Math.max(2, Math.floor(Math.sqrt((width * 110) / Math.max(map.total, 1))));
    const perRow = Math.floor(width / cell);
    const rows = map.layers.reduce((n, l) => n + Math.ceil(l.size / perRow), 0);
    canvas.height = rows * cell + (map.layers.length - 1) * 3;
    g.fillStyle = "#000";
    g.fillRect(0, 0, canvas.width, canvas.height);
    let index = 0;
    let top = 0;
    for (const layer of map.layers) {
      for (let i = 0; i < layer.size; i++, index++) {
        g.fillStyle = alive(index) ? "#7fd1a8" : "#2a2a2a";
        g.fillRect((i % perRow) * cell, top + Math.floor(i / perRow) * cell, cell - 1, cell - 1);
      }
      top += Math.ceil(layer.size / perRow) * cell + 3;
    }
  }
  function showStatus(s) {
    const rows = [["display", `${s.display_fps} fps`]];
    if (s.frame !== undefined) {
      rows.push(["generator", `${s.generator_fps} fps · ${s.generator_ms} ms`],
                ["living neurons", `${s.alive} of ${s.neurons}`], ["frame", s.frame]);
    }
    for (const o of s.outputs) rows.push([o.name, `${o.sent} sent · ${o.dropped} dropped`]);
    $("status").replaceChildren(...rows.flatMap(([k, v]) => {
      const dt = document.createElement("dt"); dt.textContent = k;
      const dd = document.createElement("dd"); dd.textContent = v;
      return [dt, dd];
    }));
    $("warnings").replaceChildren(...s.warnings.slice(-5).reverse().map((w) => {
      const li = document.createElement("li");
      li.textContent = `${w.level.toLowerCase()}: ${w.text}`;
      return li;
    }));
  }
  function monitor() {
    const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/monitor`);
    ws.binaryType = "blob";
    let url = null;
    ws.onmessage = (event) => {
      if (typeof event.data === "string") {
        const s = JSON.parse(event.data);
        showStatus(s);
        if (s.map) drawMap(s.map);
        return;
      }
      const old = url;
      url = URL.createObjectURL(event.data);
      $("preview").src = url;
      state.pictures++;
      if (old) URL.revokeObjectURL(old);
    };
    ws.onclose = () => setTimeout(monitor, 1000);
  }

  async function start() {
    const reply = await fetch("/console.json", { credentials: "same-origin" });
    if (!reply.ok) { $("link").textContent = await reply.text(); return; }
    const description = await reply.json();
    state.byAddress = new Map();
    for (const group of description.groups) {
      const set = document.createElement("fieldset");
      const legend = document.createElement("legend");
      legend.textContent = group.name;
      set.append(legend);
      for (const p of group.params) {
        const c = build(p);
        state.controls.set(p.name, c);
        if (c.listen) state.byAddress.set(c.listen, c);
        set.append(c.row);
      }
      $("controls").append(set);
    }
    $("learn").addEventListener("click", () => setLearnMode(!state.learnMode));
    document.addEventListener("keydown", (e) => { if (e.key === "Escape") setLearnMode(false); });
    connect();
    monitor();
  }
  start();
})();
