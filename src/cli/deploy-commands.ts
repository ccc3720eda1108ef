// Release and deploy commands (filled in by the push-to-deploy work).
import type { Command } from 'commander';
import type { ApiClient } from './client.js';

export function registerDeployCommands(_program: Command, _client: () => ApiClient): void {}
