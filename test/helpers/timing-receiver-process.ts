/**
 * A receiver in a process of its own, for tests that time arrivals: the test's worker shares the test's event
 * loop, and a busy turn there would stamp requests that arrived apart with one time. Answers 200 to each
 * request and prints one JSON line per request: `{"delivery", "at"}` (ms, when its headers were read). The first
 * line is `{"port"}`. Arguments: key file, certificate file.
 */
import fs from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';

const [keyFile = '', certFile = ''] = process.argv.slice(2);
const server = https.createServer({ key: fs.readFileSync(keyFile), cert: fs.readFileSync(certFile) }, (req, res) => {
  const at = Date.now();
  process.stdout.write(`${JSON.stringify({ delivery: req.headers['x-docflo-delivery'] ?? '', at })}\n`);
  req.resume();
  req.on('end', () => res.writeHead(200, { 'content-type': 'text/plain' }).end('ok'));
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
});
// The test ends it by closing stdin (or killing it).
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
