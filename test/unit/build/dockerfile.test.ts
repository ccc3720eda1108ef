// Which build ARGs a Dockerfile declares (only those get app config as build args).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { baseImages, declaredArgs } from '../../../src/build/dockerfile.js';

const args = (text: string) => [...declaredArgs(text)].sort();

test('ARG with and without defaults, any case, several per instruction', () => {
  assert.deepEqual(args('FROM x\nARG A\narg B=1\nARG C="two words" D=4\n  Arg _E'), ['A', 'B', 'C', 'D', '_E']);
});

test('ARGs before FROM and in later stages count', () => {
  assert.deepEqual(args('ARG BASE=node:18-slim\nFROM $BASE AS build\nARG NPM_TOKEN\nFROM x\nARG RUNTIME'), ['BASE', 'NPM_TOKEN', 'RUNTIME']);
});

test('continuation lines are joined; comments and other instructions are not ARGs', () => {
  assert.deepEqual(args('ARG A \\\n  B=2\n# ARG COMMENTED\nENV C=3\nRUN echo ARG D\nLABEL ARG=E'), ['A', 'B']);
});

test('a Dockerfile without ARG declares nothing', () => {
  assert.deepEqual(args('FROM node:18-slim\nCOPY . .\nCMD ["node", "x"]'), []);
  assert.deepEqual(args(''), []);
});

test('baseImages: every FROM and COPY --from that is not an earlier stage, with global ARGs expanded', () => {
  const text = [
    'ARG BASE=node:18-slim',
    'ARG PY',
    'FROM --platform=linux/amd64 ${BASE} AS deps',
    'RUN npm ci',
    'FROM python:${PY:-x} AS unknown',
    'FROM deps AS build',
    'COPY --from=deps /app /app',
    'COPY --from=busybox:1.36 /bin/busybox /bin/',
    'COPY --from=0 /x /y',
    'FROM scratch',
    'from debian:bookworm-slim',
    'FROM node:18-slim',
  ].join('\n');
  assert.deepEqual(baseImages(text), ['node:18-slim', 'busybox:1.36', 'debian:bookworm-slim']);
  assert.deepEqual(baseImages(text, { BASE: 'node:20-slim', PY: '3.11' }), ['node:20-slim', 'busybox:1.36', 'debian:bookworm-slim', 'node:18-slim']);
});
