// Noticing job containers' exits from the real Engine's `die` events (src/docker/exits.ts): the
// exit code of each watched container, only containers carrying the label, and an exit that
// happens while the event stream is down is replayed when it reconnects.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Readable } from 'node:stream';
import Dockerode from 'dockerode';
import { ContainerExits } from '../../src/docker/exits.js';
import { pullImage } from '../../src/registry/push.js';

const docker = new Dockerode({ socketPath: process.env.SLIPWAY_DOCKER_SOCKET ?? '/var/run/docker.sock' });
const DEBIAN = 'debian:bookworm-slim';
const tag = `exits-${process.pid}-${Date.now().toString(36)}`;
const LABEL = 'slipway.test-exits';
const created: string[] = [];

/** A container that exits with `code` once started; labelled for this file's watcher unless `label` is false. */
async function exiting(code: number, label = true): Promise<string> {
  const c = await docker.createContainer({
    Image: DEBIAN,
    Cmd: ['sh', '-c', `exit ${code}`],
    Labels: label ? { [LABEL]: tag } : {},
    name: `${tag}-${created.length}`,
  });
  created.push(c.id);
  return c.id;
}

const waitExit = async (id: string) => ((await docker.getContainer(id).wait({ condition: 'not-running' })) as { StatusCode: number }).StatusCode;
const settled = <T>(p: Promise<T>) => Promise.race([p, new Promise<'pending'>((r) => setTimeout(() => r('pending'), 3000))]);

before(async () => {
  await pullImage(docker, DEBIAN, () => undefined);
});

after(async () => {
  for (const id of created) await docker.getContainer(id).remove({ force: true }).catch(() => undefined);
});

test("each watched container's die event says its exit code; an unlabelled container is not reported", async () => {
  const exits = new ContainerExits(docker, `${LABEL}=${tag}`);
  try {
    const [ok, bad, other] = [await exiting(0), await exiting(3), await exiting(0, false)];
    const dies = [exits.next(ok), exits.next(bad), exits.next(other)];
    await exits.ready();
    for (const id of [ok, bad, other]) await docker.getContainer(id).start();
    assert.equal(await dies[0], 0);
    assert.equal(await dies[1], 3);
    await waitExit(other);
    assert.equal(await settled(dies[2]!), 'pending', 'the label filter keeps other containers out');
  } finally {
    exits.close();
  }
});

test('an exit while the event stream is down is replayed when it reconnects', async () => {
  // The Engine as the adapter sees it, except that we can drop its stream and hold the reconnect.
  const streams: Readable[] = [];
  let letReconnect!: () => void;
  const gate = new Promise<void>((r) => (letReconnect = r));
  const flaky = Object.create(docker) as Dockerode;
  flaky.getEvents = (async (opts: Dockerode.GetEventsOptions) => {
    if (streams.length > 0) await gate;
    const s = (await docker.getEvents(opts)) as unknown as Readable;
    streams.push(s);
    return s;
  }) as unknown as Dockerode['getEvents'];
  const exits = new ContainerExits(flaky, `${LABEL}=${tag}`);
  try {
    const id = await exiting(5);
    const die = exits.next(id);
    await exits.ready();
    streams[0]!.destroy(); // the stream drops…
    await docker.getContainer(id).start();
    assert.equal(await waitExit(id), 5); // …the container exits meanwhile…
    letReconnect(); // …and only then does the stream come back.
    assert.equal(await settled(die), 5, 'the die event is replayed from before the drop');
    assert.equal(streams.length, 2);
  } finally {
    exits.close();
  }
});
