// The state stage for tests: a database (in memory unless a file is named) sealed with a fresh key.
import { randomBytes } from 'node:crypto';
import { stateSealer } from '../../src/source/secrets.js';
import { openState, type State } from '../../src/state/index.js';

export function openTestState(file = ':memory:', key: Buffer = randomBytes(32)): State {
  return openState(file, stateSealer(key));
}
