// A loopback port nothing listens on right now (the OS's pick), for the
// throw-away servers the tests start (Redis, PostgreSQL).
import net from 'node:net';

export async function freePort() {
  const srv = net.createServer();
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address();
  await new Promise((r) => srv.close(r));
  return port;
}
