// Starts the real llmgw binary (gateway and mock vendor) on free ports for a
// test file, and stops it at the end, checking that it exits cleanly.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import net from 'node:net';

export const BIN = process.env.LLMGW_BIN ?? path.resolve('build/dev/llmgw');

export const MASTER_KEY = 'sk-test-master';
// Each vendor has its own key, and every mock requires them (startMock), so
// a key sent to the wrong vendor, or none, is refused as the vendor would.
export const VENDOR_KEY = 'sk-vendor-secret-0123456789';  // OpenAI (and Azure)
export const ANTHROPIC_VENDOR_KEY = 'sk-ant-vendor-secret-4567';
export const GEMINI_VENDOR_KEY = 'AIzaMockGeminiVendorKey8901';
export const AWS_ACCESS_KEY = 'AKIDMOCKEXAMPLE';
export const AWS_SECRET = 'mock/secret/key/EXAMPLEKEY';
// Every credential the gateway holds for the mocks: none may reach a client or a log.
export const VENDOR_SECRETS = [VENDOR_KEY, ANTHROPIC_VENDOR_KEY, GEMINI_VENDOR_KEY, AWS_SECRET];

// A running child process with its output captured line by line.
class Running {
  constructor(proc, name) {
    this.proc = proc;
    this.name = name;
    this.stdout = '';
    this.stderr = '';
    this.exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
    proc.stdout.on('data', (d) => { this.stdout += d; });
    proc.stderr.on('data', (d) => { this.stderr += d; });
  }

  // Every JSON line printed on stdout, parsed: the access log and its
  // reports of dropped records.
  jsonLines() {
    return this.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
  }

  // The access log's lines so far (`"type":"access"`), parsed.
  accessLog() {
    return this.jsonLines().filter((l) => l.type === 'access');
  }

  // The first access log line matching `pred`. A background thread writes
  // the log within ~2 ms of a request's end (100 ms promised), so a line is
  // waited for rather than expected at once; undefined after `timeoutMs`.
  async waitForAccessLog(pred, { timeoutMs = 2000 } = {}) {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const line = this.accessLog().find(pred);
      if (line || performance.now() > deadline) return line;
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  async stop() {
    if (this.proc.exitCode !== null) return { code: this.proc.exitCode, signal: null };
    this.proc.kill('SIGTERM');
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 15000);
    const r = await this.exited;
    clearTimeout(timer);
    return r;
  }
}

function start(args, env, ready, name, cwd = undefined) {
  // A variable set to undefined in `env` is removed, not inherited.
  const full = { ...process.env, ...env };
  for (const k of Object.keys(full)) if (full[k] === undefined) delete full[k];
  const proc = spawn(BIN, args, { env: full, stdio: ['ignore', 'pipe', 'pipe'], cwd });
  const r = new Running(proc, name);
  r.cwd = cwd ?? process.cwd();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start in 20 s:\n${r.stdout}\n${r.stderr}`)), 20000);
    const check = () => {
      const m = r.stdout.match(ready);
      if (m) {
        clearTimeout(timer);
        r.url = m[1];
        resolve(r);
      }
    };
    proc.stdout.on('data', check);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code} before it was ready:\n${r.stdout}\n${r.stderr}`));
    });
  });
}

// The mock-vendor options that make a mock require the vendor keys above
// and verify Bedrock's signatures with AWS_SECRET.
export const MOCK_KEY_ARGS = [
  '--api-key', VENDOR_KEY,
  '--anthropic-api-key', ANTHROPIC_VENDOR_KEY,
  '--gemini-api-key', GEMINI_VENDOR_KEY,
  '--aws-access-key-id', AWS_ACCESS_KEY,
  '--aws-secret-access-key', AWS_SECRET,
];

// A mock vendor requiring the vendor keys (MOCK_KEY_ARGS); a key option in
// `extraArgs` replaces the default one, so a test can start one with others.
export function startMock(extraArgs = []) {
  const keys = [];
  for (let i = 0; i < MOCK_KEY_ARGS.length; i += 2) {
    if (!extraArgs.includes(MOCK_KEY_ARGS[i])) keys.push(MOCK_KEY_ARGS[i], MOCK_KEY_ARGS[i + 1]);
  }
  return start(['mock-vendor', '--host', '127.0.0.1', '--port', '0', ...keys, ...extraArgs], {},
               /mock-vendor listening on (http:\/\/\S+)/, 'mock-vendor');
}

// env: extra environment; config: YAML text (written to a temp file);
// port: 0 picks a free one; args: more command-line options; cwd: the
// working directory (default: a fresh temp folder, where usage.db and the
// usage spool go; the gateway's `cwd` property names it).
export function startGateway({ mockUrl, env = {}, config, workers = 2, port = 0, args: more = [], cwd } = {}) {
  const args = ['serve', '--host', '127.0.0.1', '--port', String(port), '--workers', String(workers), ...more];
  if (config !== undefined) args.push('--config', writeTemp('gateway.yaml', config));
  const base = {
    LLMGW_MASTER_KEY: MASTER_KEY,
    OPENAI_API_KEY: VENDOR_KEY,
    ...(mockUrl ? { OPENAI_BASE_URL: `${mockUrl}/v1` } : {}),
  };
  // Vendor variables and shared stores of the machine running the tests (the
  // suite's own Redis and PostgreSQL among them) must not leak in: a test
  // that wants one says so in `env`.
  const clean = {};
  for (const k of Object.keys(process.env)) {
    if (/_API_KEY$|_BASE_URL$|^AWS_|^LLMGW_|^DATABASE_URL$|^REDIS_URL$|^REDIS_CLUSTER$/.test(k)) clean[k] = undefined;
  }
  const merged = { ...clean, ...base, ...env };
  const dir = cwd ?? ownTempDir('llmgw-gw-');
  return start(args, merged, /llmgw listening on (http:\/\/\S+)/, 'gateway', dir);
}

// A temporary folder removed when the test file's process ends (tests may
// read a stopped gateway's files until then).
const tempDirs = [];
process.on('exit', () => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});
export function ownTempDir(prefix) {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

export function writeTemp(name, text) {
  const dir = ownTempDir('llmgw-test-');
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

export function keyHash(key) {
  return execFileSync(BIN, ['keys', 'hash', key]).toString().trim();
}

export function chatBody(content, extra = {}) {
  return { model: 'gpt-4o-mini', messages: [{ role: 'user', content }], ...extra };
}

// Every request is bounded in time: a hang fails its test instead of the run.
export async function post(base, path, body, { key = MASTER_KEY, headers = {}, timeoutMs = 30000 } = {}) {
  const h = { 'content-type': 'application/json', ...headers };
  if (key) h.authorization = `Bearer ${key}`;
  return fetch(base + path, {
    method: 'POST', headers: h, body: typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
}

// Reads an SSE response, returning [{data, at}] with arrival times in ms.
export async function readEvents(res) {
  const t0 = performance.now();
  const events = [];
  const decoder = new TextDecoder();
  let buf = '';
  for await (const chunk of res.body) {
    buf += decoder.decode(chunk, { stream: true });
    let i;
    while ((i = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, i);
      buf = buf.slice(i + 2);
      const data = block.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
      if (data) events.push({ data, at: performance.now() - t0 });
    }
  }
  return events;
}

// One raw HTTP exchange on a new socket: for limits and protocol tests.
export function rawRequest(base, text, { timeoutMs = 10000 } = {}) {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const sock = net.connect(Number(u.port), u.hostname);
    let data = '';
    const t0 = performance.now();
    const timer = setTimeout(() => { sock.destroy(); reject(new Error('raw request timed out')); }, timeoutMs);
    sock.on('data', (d) => { data += d; });
    sock.on('error', () => {});
    sock.on('close', () => { clearTimeout(timer); resolve({ data, closedAfterMs: performance.now() - t0 }); });
    sock.write(text);
  });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function mockStats(mockUrl) {
  return (await fetch(`${mockUrl}/_mock/stats`)).json();
}

// A mock's default behaviour from now on, as script settings
// ("status=529,retry_after=2"); '' goes back to its start-up script.
export async function setScript(mock, script) {
  const r = await fetch(`${mock.url}/_mock/script`, { method: 'POST', body: script });
  if (r.status !== 200) throw new Error(`mock script ${JSON.stringify(script)}: ${r.status} ${await r.text()}`);
}

// Each mock back to its start-up script, its counters at zero.
export async function resetMocks(...mocks) {
  for (const m of mocks) {
    await setScript(m, '');
    await fetch(`${m.url}/_mock/reset`, { method: 'POST' });
  }
}

// One providers: entry (YAML, indented for a list under providers:) for an
// OpenAI-compatible vendor played by `mock`.
export const mockProviderYaml = (name, mock, models = '[m]') =>
  `  - {name: ${name}, type: openai-compatible, base_url: "${mock.url}/v1", api_key: "${VENDOR_KEY}", models: ${models}}`;

// How many API requests a mock has received.
export const mockRequests = async (m) => (await mockStats(m.url)).requests;

export async function lastUpstreamRequest(mockUrl) {
  return (await fetch(`${mockUrl}/_mock/last_request`)).json();
}

// Environment pointing every vendor with its own wire format at the mock,
// which speaks each of their APIs (Anthropic, Gemini, Bedrock).
export function allVendorsEnv(mockUrl) {
  return {
    ANTHROPIC_API_KEY: ANTHROPIC_VENDOR_KEY,
    ANTHROPIC_BASE_URL: mockUrl,
    GEMINI_API_KEY: GEMINI_VENDOR_KEY,
    GEMINI_BASE_URL: `${mockUrl}/v1beta`,
    AWS_ACCESS_KEY_ID: AWS_ACCESS_KEY,
    AWS_SECRET_ACCESS_KEY: AWS_SECRET,
    AWS_REGION: 'us-east-1',
    BEDROCK_BASE_URL: mockUrl,
  };
}

// The models the cross-vendor tests run the same script against.
export const CROSS_VENDOR_MODELS = [
  'gpt-4o-mini',
  'claude-3-5-haiku-latest',
  'gemini-2.0-flash',
  'bedrock/anthropic.claude-3-haiku-20240307-v1:0',
];
