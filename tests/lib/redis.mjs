// A throw-away redis-server for one test file: a real Redis (Debian's
// package) on a free loopback port in a temporary folder, which a test may
// stop and start again on the same port to play an outage.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import net from 'node:net';

async function freePort() {
  const srv = net.createServer();
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address();
  await new Promise((r) => srv.close(r));
  return port;
}

export class RedisServer {
  static async start() {
    const r = new RedisServer(await freePort(), mkdtempSync(path.join(tmpdir(), 'llmgw-redis-')));
    await r.up();
    return r;
  }

  constructor(port, dir) {
    this.port = port;
    this.dir = dir;
    this.url = `redis://127.0.0.1:${port}`;
    this.proc = null;
  }

  async up() {
    this.proc = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '',
      '--appendonly', 'no', '--dir', this.dir], { stdio: 'ignore' });
    for (let i = 0; i < 200; i++) {
      try {
        if (this.cli('PING').trim() === 'PONG') return;
      } catch { /* not yet */ }
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`redis-server did not start on port ${this.port}`);
  }

  async down() {
    if (!this.proc) return;
    const exited = new Promise((r) => this.proc.on('exit', r));
    this.proc.kill('SIGKILL');
    await exited;
    this.proc = null;
  }

  cli(...args) {
    return execFileSync('redis-cli', ['-p', String(this.port), ...args], { encoding: 'utf8' });
  }
}
