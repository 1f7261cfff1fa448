// Upstream TLS: certificate verification, host name check and SNI. A TLS
// terminator in this process (node:tls) fronts the mock vendor with a
// self-signed certificate for "localhost".
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import tls from 'node:tls';
import net from 'node:net';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startMock, startGateway, post, chatBody, readEvents, ownTempDir } from '../lib/harness.mjs';

let mock;
let terminator;
let tlsPort;
let certFile;
const serverNames = [];

before(async () => {
  mock = await startMock();
  const dir = ownTempDir('llmgw-tls-');
  certFile = path.join(dir, 'cert.pem');
  const keyFile = path.join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=DNS:localhost', '-keyout', keyFile, '-out', certFile], { stdio: 'ignore' });
  const mockPort = Number(new URL(mock.url).port);
  terminator = tls.createServer({ key: readFileSync(keyFile), cert: readFileSync(certFile) }, (sock) => {
    serverNames.push(sock.servername);
    const upstream = net.connect(mockPort, '127.0.0.1');
    sock.pipe(upstream).pipe(sock);
    sock.on('error', () => upstream.destroy());
    upstream.on('error', () => sock.destroy());
  });
  terminator.on('tlsClientError', () => {});
  await new Promise((r) => terminator.listen(0, '127.0.0.1', r));
  tlsPort = terminator.address().port;
});

after(async () => {
  terminator?.close();
  await mock?.stop();
});

test('a trusted certificate: requests and streams go through TLS, with SNI', async () => {
  // OpenSSL's default verify paths honour SSL_CERT_FILE.
  const gw = await startGateway({ env: { OPENAI_BASE_URL: `https://localhost:${tlsPort}/v1`, SSL_CERT_FILE: certFile } });
  try {
    const r = await post(gw.url, '/v1/chat/completions', chatBody('hi'));
    assert.equal(r.status, 200, await r.clone().text());
    assert.equal((await r.json()).object, 'chat.completion');
    const s = await post(gw.url, '/v1/chat/completions', chatBody('hi [mock:tokens=3]', { stream: true }));
    const events = await readEvents(s);
    assert.equal(events.at(-1).data, '[DONE]');
    assert.ok(serverNames.includes('localhost'), `SNI sent: ${serverNames}`);
  } finally {
    assert.equal((await gw.stop()).code, 0);
  }
});

test('an untrusted certificate is refused with a 502', async () => {
  const gw = await startGateway({ env: { OPENAI_BASE_URL: `https://localhost:${tlsPort}/v1`, SSL_CERT_FILE: '/nonexistent.pem' } });
  try {
    const r = await post(gw.url, '/v1/chat/completions', chatBody('hi'));
    assert.equal(r.status, 502);
    assert.match((await r.json()).error.message, /TLS/);
  } finally {
    await gw.stop();
  }
});

test('a certificate for another host name is refused with a 502', async () => {
  // Trusted, but issued for "localhost", not "127.0.0.1".
  const gw = await startGateway({ env: { OPENAI_BASE_URL: `https://127.0.0.1:${tlsPort}/v1`, SSL_CERT_FILE: certFile } });
  try {
    const r = await post(gw.url, '/v1/chat/completions', chatBody('hi'));
    assert.equal(r.status, 502);
  } finally {
    await gw.stop();
  }
});
