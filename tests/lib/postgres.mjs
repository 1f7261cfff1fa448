// A throw-away PostgreSQL for one test file: Debian's server on a free
// loopback port in a temporary folder (initdb, trust auth, durability off),
// which a test may stop and start again on the same port to play an outage.
// PostgreSQL refuses to run as root, so as root initdb and pg_ctl run as the
// `postgres` user on a folder it owns (as scripts/services.sh does).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, chmodSync, chownSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from './ports.mjs';

function pgBin(tool) {
  for (const dir of ['/usr/lib/postgresql/15/bin', '/usr/lib/postgresql/16/bin', '/usr/lib/postgresql/17/bin']) {
    if (existsSync(path.join(dir, tool))) return path.join(dir, tool);
  }
  return tool;  // on PATH
}

const asRoot = process.getuid?.() === 0;

function asPg(tool, args) {
  const bin = pgBin(tool);
  const [cmd, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
  return execFileSync(cmd, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export class PostgresServer {
  static async start() {
    const dir = mkdtempSync(path.join(tmpdir(), 'llmgw-pg-'));
    chmodSync(dir, 0o755);
    if (asRoot) {
      const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
      const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
      chownSync(dir, uid, gid);
    }
    asPg('initdb', ['-D', path.join(dir, 'data'), '-U', 'llmgw', '--auth=trust', '--encoding=UTF8', '--locale=C',
      '--no-sync']);
    const pg = new PostgresServer(await freePort(), dir);
    pg.up();
    pg.psql('postgres', 'CREATE DATABASE llmgw');
    return pg;
  }

  constructor(port, dir) {
    this.port = port;
    this.dir = dir;
    this.url = `postgresql://llmgw@127.0.0.1:${port}/llmgw`;
  }

  up() {
    asPg('pg_ctl', ['-D', path.join(this.dir, 'data'), '-l', path.join(this.dir, 'postgres.log'), '-w', '-t', '30',
      // fsync off for speed, but synchronous_commit stays on: down() is a
      // crash, and a commit acknowledged to the gateway must survive it
      // (the WAL is written to the OS before the acknowledgement).
      '-o', `-p ${this.port} -c listen_addresses=127.0.0.1 -k ${this.dir} -c fsync=off -c full_page_writes=off`,
      'start']);
  }

  // Immediate: like a crash or a network cut, connections are dropped at once.
  down() {
    asPg('pg_ctl', ['-D', path.join(this.dir, 'data'), '-m', 'immediate', '-w', '-t', '30', 'stop']);
  }

  // A server that stops answering without closing anything (SIGSTOP to the
  // postmaster and every backend): the slow or hung database case.
  pids() {
    const master = readFileSync(path.join(this.dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0].trim();
    let children = [];
    try {
      children = execFileSync('pgrep', ['-P', master], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
    } catch { /* none */ }
    return [master, ...children].map(Number);
  }

  pause() { for (const pid of this.pids()) process.kill(pid, 'SIGSTOP'); }

  resume() { for (const pid of this.pids()) process.kill(pid, 'SIGCONT'); }

  // psql's unaligned, tuples-only output of `sql` in `db`.
  psql(db, sql) {
    return execFileSync('psql', ['-q', '-h', '127.0.0.1', '-p', String(this.port), '-U', 'llmgw', '-d', db, '-v',
      'ON_ERROR_STOP=1', '-tAc', sql], { encoding: 'utf8', env: { ...process.env, PGOPTIONS: '-c client_min_messages=warning' } }).trim();
  }

  query(sql) { return this.psql('llmgw', sql); }

  close() {
    try { this.resume(); } catch { /* not running */ }
    try { this.down(); } catch { /* already stopped */ }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
