// OSC 1.0 messages as the OSCQuery WebSocket carries them: encode one message with one
// argument (f, i or s), decode the messages of a message or bundle.
"use strict";
const OSC = (() => {
  const text = new TextEncoder();
  const untext = new TextDecoder();
  const padded = (bytes) => {
    const out = new Uint8Array((bytes.length + 4) & ~3);  // at least one NUL, 4-aligned
    out.set(bytes);
    return out;
  };
  function encode(address, value, tag) {
    const parts = [padded(text.encode(address)), padded(text.encode("," + tag))];
    if (tag === "s") {
      parts.push(padded(text.encode(String(value))));
    } else {
      const arg = new DataView(new ArrayBuffer(4));
      if (tag === "f") arg.setFloat32(0, value); else arg.setInt32(0, value);
      parts.push(new Uint8Array(arg.buffer));
    }
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) { out.set(p, at); at += p.length; }
    return out.buffer;
  }
  function readString(bytes, at) {
    let end = at;
    while (end < bytes.length && bytes[end] !== 0) end++;
    return [untext.decode(bytes.subarray(at, end)), (end + 4) & ~3];
  }
  function decode(buffer, into = []) {
    const bytes = new Uint8Array(buffer);
    const view = new DataView(buffer);
    let [address, at] = readString(bytes, 0);
    if (address === "#bundle") {
      at += 8;  // time tag
      while (at + 4 <= bytes.length) {
        const size = view.getInt32(at);
        decode(buffer.slice(at + 4, at + 4 + size), into);
        at += 4 + size;
      }
      return into;
    }
    let tags;
    [tags, at] = readString(bytes, at);
    const args = [];
    for (const tag of tags.slice(1)) {
      if (tag === "f") { args.push(view.getFloat32(at)); at += 4; }
      else if (tag === "i") { args.push(view.getInt32(at)); at += 4; }
      else if (tag === "d") { args.push(view.getFloat64(at)); at += 8; }
      else if (tag === "s") { let s; [s, at] = readString(bytes, at); args.push(s); }
      else if (tag === "T" || tag === "F") args.push(tag === "T");
    }
    into.push({ address, args });
    return into;
  }
  return { encode, decode };
})();
