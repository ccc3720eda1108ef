// What the state stage encrypts at rest — config var values, webhook secrets, each release's
// config and services (whose environment holds interpolated config values) — and the contexts
// each value is bound to, so a sealed value copied onto another row does not open there.
// The composition root passes a Sealer built on the data dir's key (src/source/secrets.ts).

export interface Sealer {
  seal(plaintext: string, context: string): string;
  /** Throws a UserError naming `context` when the value cannot be opened (wrong key, tampering). */
  open(sealed: string, context: string): string;
}

export const sealContext = {
  configVar: (appId: number, key: string) => `config-var:${appId}:${key}`,
  webhookSecret: (appId: number) => `webhook-secret:${appId}`,
  releaseConfig: (appId: number, version: number) => `release-config:${appId}:${version}`,
  releaseServices: (appId: number, version: number) => `release-services:${appId}:${version}`,
};
