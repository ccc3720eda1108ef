// Swarm mode: Slipway's own health probes reach task addresses on the overlay networks, which
// only the edge container's network namespace can reach, through HAProxy's probe socket: the
// connection opens with a PROXY v1 header naming the task, and HAProxy connects there from
// inside the namespace. From then on the socket is a plain connection to the task.
import net from 'node:net';
import { checkAddr, checkPort } from './haproxy-config.js';

/** A `connect(host, port)` for an HTTP client, through the probe socket. */
export function probeConnector(probeSocket: string): (host: string, port: number) => net.Socket {
  return (host, port) => {
    const header = `PROXY TCP4 127.0.0.1 ${checkAddr(host)} 1 ${checkPort(port)}\r\n`;
    const socket = net.connect(probeSocket);
    // Written before the request, which the HTTP client queues behind it.
    socket.write(header);
    return socket;
  };
}
