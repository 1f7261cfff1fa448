// A raw TCP connection for protocol tests: write bytes a normal client would
// never send, read what comes back, and see whether the server closed.
import net from 'node:net';
import { readFileSync, readdirSync } from 'node:fs';

export class RawConn {
  static open(base) {
    const u = new URL(base);
    return new Promise((resolve, reject) => {
      const sock = net.connect(Number(u.port), u.hostname);
      sock.once('connect', () => resolve(new RawConn(sock)));
      sock.once('error', reject);
    });
  }

  constructor(sock) {
    this.sock = sock;
    this.data = Buffer.alloc(0);
    this.isClosed = false;
    this.waiters = [];
    sock.on('data', (d) => {
      this.data = Buffer.concat([this.data, d]);
      this.wake();
    });
    sock.on('error', () => {});
    sock.on('close', () => {
      this.isClosed = true;
      this.wake();
    });
  }

  wake() {
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w();
  }

  text() { return this.data.toString('latin1'); }

  // Resolves once the write was handed to the kernel; never rejects (a
  // server that closed early makes writes fail, which tests expect).
  write(bytes) {
    return new Promise((resolve) => {
      if (this.sock.destroyed) return resolve(false);
      this.sock.write(bytes, (err) => resolve(!err));
    });
  }

  // Waits until pred(text) is true or the connection closes or timeoutMs passes.
  async until(pred, timeoutMs = 10000) {
    const end = Date.now() + timeoutMs;
    while (!pred(this.text())) {
      if (this.isClosed) return false;
      const left = end - Date.now();
      if (left <= 0) return false;
      await new Promise((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => { clearTimeout(t); r(); });
      });
    }
    return true;
  }

  async closed(timeoutMs = 10000) {
    await this.until(() => false, timeoutMs);
    return this.isClosed;
  }

  // Number of complete response heads received so far.
  responses() { return (this.text().match(/HTTP\/1\.1 \d{3} /g) ?? []).length; }

  status(i = 0) {
    const m = [...this.text().matchAll(/HTTP\/1\.1 (\d{3}) /g)];
    return m[i] ? Number(m[i][1]) : 0;
  }

  destroy() { this.sock.destroy(); }
}

// The process's memory as the kernel counts it (kB fields of /proc/PID/status).
export function memoryKb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name) => Number((status.match(new RegExp(`${name}:\\s+(\\d+)`)) ?? [0, 0])[1]);
  return { rss: field('VmRSS'), hwm: field('VmHWM') };
}

export function openDescriptors(pid) {
  return readdirSync(`/proc/${pid}/fd`).length;
}

// ASan keeps freed memory in a quarantine; memory tests want frees to show.
export function freeAtOnceEnv() {
  const asan = process.env.ASAN_OPTIONS ?? '';
  return { ASAN_OPTIONS: `${asan}${asan ? ':' : ''}quarantine_size_mb=0:thread_local_quarantine_size_kb=0` };
}
