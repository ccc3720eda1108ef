// A FROM image nobody can pull: the message names it and both ways out; an image the registry
// holds makes the failure the machinery's (retried).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { baseImageError, fromImage } from '../../../src/build/base-image.js';
import { TransientError, UserError } from '../../../src/errors.js';

test('the image of a FROM step, without --platform and AS', () => {
  assert.equal(fromImage('Step 1/5 : FROM node:22-slim'), 'node:22-slim');
  assert.equal(fromImage('Step 1/9 : FROM --platform=linux/amd64 golang:1.22 AS build'), 'golang:1.22');
  assert.equal(fromImage('Step 3/5 : RUN npm ci'), null);
});

test('an image neither in the registry nor upstream: a UserError with images:import and the seeded images', async () => {
  const e = await baseImageError('acme/base:3', 'dial tcp: lookup registry-1.docker.io: no such host', {
    list: async () => ['debian:bookworm-slim', 'node:24-slim'],
    has: async () => false,
  });
  assert.ok(e instanceof UserError);
  assert.match(e.message, /^the base image acme\/base:3 \(FROM acme\/base:3\) is neither in Slipway's registry nor reachable upstream \(dial tcp/);
  assert.match(e.message, /docker save acme\/base:3 -o acme-base-3\.tar, then slipway images:import acme-base-3\.tar/);
  assert.match(e.message, /slipway images lists them with digests\): debian:bookworm-slim, node:24-slim\./);
});

test('an image the registry holds: the pull failure is transient', async () => {
  const e = await baseImageError('node:22-slim', 'connection reset', { list: async () => [], has: async () => true });
  assert.ok(e instanceof TransientError);
});
