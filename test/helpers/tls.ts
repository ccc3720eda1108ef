// A certificate authority made by the test (openssl), and an HTTPS server signed by it that
// build containers reach on the Docker bridge's host address: a build trusts it only through
// the CA bundle Slipway injects, so a test of that wiring fails when the wiring is missing.
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import type Dockerode from 'dockerode';

const run = promisify(execFile);

export interface TestCa {
  /** PEM of the CA certificate: what SLIPWAY_BUILD_CA_FILE would name. */
  caFile: string;
  certFile: string;
  keyFile: string;
}

/** A fresh CA in `dir` and a server certificate it signed for `ip`. */
export async function makeCa(dir: string, ip: string): Promise<TestCa> {
  const f = (n: string) => path.join(dir, n);
  await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=Slipway test CA', '-keyout', f('ca.key'), '-out', f('ca.crt')]);
  await run('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${ip}`, '-keyout', f('server.key'), '-out', f('server.csr')]);
  writeFileSync(f('san.ext'), `subjectAltName = IP:${ip}\nextendedKeyUsage = serverAuth\n`);
  await run('openssl', ['x509', '-req', '-in', f('server.csr'), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial', '-days', '2', '-extfile', f('san.ext'), '-out', f('server.crt')]);
  return { caFile: f('ca.crt'), certFile: f('server.crt'), keyFile: f('server.key') };
}

/** The host's address on Docker's default bridge (docker0), which build containers can reach. */
export async function bridgeHostIp(docker: Dockerode): Promise<string> {
  // The engine leaves Gateway out when it is the subnet's first address (docker0 is then .1);
  // os.networkInterfaces() can't tell, it hides the bridge while no container is attached.
  const ipam = (await docker.getNetwork('bridge').inspect()).IPAM?.Config?.find((c: { Subnet?: string }) => c.Subnet?.includes('.')) as
    | { Subnet: string; Gateway?: string }
    | undefined;
  if (!ipam) throw new Error("Docker's default bridge has no IPv4 subnet");
  if (ipam.Gateway) return ipam.Gateway;
  const [base] = ipam.Subnet.split('/');
  const octets = base!.split('.').map(Number);
  octets[3]! += 1;
  return octets.join('.');
}

/** Serves `files` (URL path → body) over HTTPS with the CA's server certificate, on `ip`. */
export async function serveHttps(ca: TestCa, ip: string, files: Record<string, Buffer | string>): Promise<{ url: string; close(): Promise<void> }> {
  const server = https.createServer({ cert: readFileSync(ca.certFile), key: readFileSync(ca.keyFile) }, (req, res) => {
    const body = files[req.url ?? ''];
    if (body === undefined) return void res.writeHead(404).end('not found\n');
    res.writeHead(200, { 'content-length': Buffer.byteLength(body) }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, ip, resolve));
  return {
    url: `https://${ip}:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
