// A throw-away redis-server for one test file: a real Redis (Debian's
// package) on a free loopback port in a temporary folder, which a test may
// stop and start again on the same port to play an outage.
import { spawn, execFileSync } from 'node:child_process';
import path from 'node:path';
import net from 'node:net';
import { freePort } from './ports.mjs';
import { ownTempDir } from './harness.mjs';

export class RedisServer {
  static async start() {
    const r = new RedisServer(await freePort(), ownTempDir('llmgw-redis-'));
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
      '--appendonly', 'no', '--dir', this.dir, ...(this.extra ?? [])], { stdio: 'ignore' });
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

async function isFree(port) {
  const srv = net.createServer();
  return new Promise((resolve) => {
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

// A port whose cluster bus port (port + 10000) is free too.
async function clusterPort(taken) {
  for (;;) {
    const port = 20000 + Math.floor(Math.random() * 30000);
    if (taken.has(port) || taken.has(port + 10000)) continue;
    if ((await isFree(port)) && (await isFree(port + 10000))) {
      taken.add(port);
      taken.add(port + 10000);
      return port;
    }
  }
}

// A real three-node Redis Cluster on loopback (no replicas), made with
// redis-cli --cluster create; `url` names its first node.
export class RedisCluster {
  static async start() {
    const taken = new Set();
    const nodes = [];
    for (let i = 0; i < 3; i++) {
      const node = new RedisServer(await clusterPort(taken), ownTempDir('llmgw-redis-cluster-'));
      node.extra = ['--cluster-enabled', 'yes', '--cluster-config-file', path.join(node.dir, 'nodes.conf'),
        '--cluster-node-timeout', '2000'];
      await node.up();
      nodes.push(node);
    }
    execFileSync('redis-cli', ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`),
      '--cluster-replicas', '0', '--cluster-yes'], { stdio: 'ignore' });
    const c = new RedisCluster(nodes);
    for (let i = 0; i < 200 && !nodes.every((n) => /cluster_state:ok/.test(n.cli('CLUSTER', 'INFO'))); i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    return c;
  }

  constructor(nodes) {
    this.nodes = nodes;
    this.url = nodes[0].url;
  }

  async stop() {
    for (const n of this.nodes) await n.down();
  }
}
