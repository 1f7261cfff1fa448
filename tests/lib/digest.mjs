// What a client sent, in the shape of the mock vendor's request digest
// (src/mock/request_digest.hpp), so an end-to-end test can compare it with
// what the vendor received: the mock answers `[mock:digest]` with the digest
// of the request as the vendor got it, in the vendor's own format.
//
// The same rules as the mock's: turns of one role in a row are one turn;
// tool results belong to a user turn; system text apart; tool arguments and
// results are JSON values when their text parses, else strings; a result's
// name is that of the earlier call with its id.

function jsonOrText(text) {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function newDigest() {
  const d = { system: [], messages: [], stop: [], max_tokens: null };
  const names = new Map();
  const turnFor = (role) => {
    const last = d.messages.at(-1);
    if (last?.role === role) return last;
    const t = { role, text: [], images: [], tool_calls: [], tool_results: [] };
    d.messages.push(t);
    return t;
  };
  const addText = (t, text) => { if (text) t.text.push(text); };
  const addCall = (t, id, name, args) => {
    names.set(id, name);
    t.tool_calls.push({ id, name, arguments: args });
  };
  const addResult = (t, id, content) => {
    t.tool_results.push({ id, name: names.get(id) ?? null, content });
  };
  return { d, turnFor, addText, addCall, addResult };
}

const joined = (content) => (typeof content === 'string' ? content : (content ?? []).map((p) => p.text ?? '').join(''));
const dataUrlType = (url) => (url.startsWith('data:') ? url.slice(5).split(/[;,]/)[0] : 'url');

// An OpenAI chat.completions request body.
export function digestOfOpenAI(req) {
  const { d, turnFor, addText, addCall, addResult } = newDigest();
  for (const m of req.messages) {
    if (m.role === 'system' || m.role === 'developer') {
      if (joined(m.content)) d.system.push(joined(m.content));
      continue;
    }
    if (m.role === 'tool') {
      addResult(turnFor('user'), m.tool_call_id, jsonOrText(joined(m.content)));
      continue;
    }
    const t = turnFor(m.role);
    if (typeof m.content === 'string') {
      addText(t, m.content);
    } else {
      for (const p of m.content ?? []) {
        if (p.type === 'text') addText(t, p.text);
        if (p.type === 'image_url') t.images.push(dataUrlType(p.image_url.url ?? p.image_url));
      }
    }
    for (const c of m.tool_calls ?? []) addCall(t, c.id, c.function.name, jsonOrText(c.function.arguments));
  }
  if (req.stop !== undefined) d.stop = [req.stop].flat();
  d.max_tokens = req.max_completion_tokens ?? req.max_tokens ?? null;
  return d;
}

// An Anthropic Messages request body.
export function digestOfAnthropic(req) {
  const { d, turnFor, addText, addCall, addResult } = newDigest();
  if (typeof req.system === 'string') {
    if (req.system) d.system.push(req.system);
  } else {
    for (const b of req.system ?? []) if (b.text) d.system.push(b.text);
  }
  const imageType = (b) => (b.source.type === 'url' ? 'url' : b.source.media_type);
  for (const m of req.messages) {
    const t = turnFor(m.role);
    if (typeof m.content === 'string') {
      addText(t, m.content);
      continue;
    }
    for (const b of m.content) {
      if (b.type === 'text') addText(t, b.text);
      if (b.type === 'image') t.images.push(imageType(b));
      if (b.type === 'tool_use') addCall(t, b.id, b.name, b.input);
      if (b.type === 'tool_result') {
        if (Array.isArray(b.content)) for (const i of b.content) if (i.type === 'image') t.images.push(imageType(i));
        addResult(t, b.tool_use_id, jsonOrText(joined(b.content)));
      }
    }
  }
  d.stop = req.stop_sequences ?? [];
  d.max_tokens = req.max_tokens ?? null;
  return d;
}

// Gemini has no tool call ids on the wire (it matches results by name):
// the digest shows them as null.
export function withoutToolIds(digest) {
  const d = structuredClone(digest);
  for (const t of d.messages) {
    for (const c of t.tool_calls) c.id = null;
    for (const r of t.tool_results) r.id = null;
  }
  return d;
}

// The digest a vendor model is expected to report for a request whose
// client-side digest is `sent`.
export function expectedFor(model, sent) {
  return model.startsWith('gemini') ? withoutToolIds(sent) : sent;
}
