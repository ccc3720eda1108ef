// A run's result POSTed to the URL of `slipway.job.webhook`, signed as GitHub signs its
// webhooks (HMAC-SHA256 of the exact body with the app's webhook secret, `sha256=HEX` in
// X-Slipway-Signature-256), so a receiver verifies it with code it already has.
import { createHmac } from 'node:crypto';
import { errorMessage } from '../errors.js';

export const SIGNATURE_HEADER = 'x-slipway-signature-256';

export function signature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Best effort: the status the receiver answered with, or the error; never throws. */
export async function notifyResult(url: string, secret: string, payload: unknown, timeoutMs = 10_000): Promise<{ url: string; status: number | null; error?: string }> {
  const body = JSON.stringify(payload);
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'Slipway', 'x-slipway-event': 'run.finished', [SIGNATURE_HEADER]: signature(secret, body) },
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.body?.cancel();
    return res.ok ? { url, status: res.status } : { url, status: res.status, error: `answered HTTP ${res.status}` };
  } catch (e) {
    return { url, status: null, error: errorMessage(e) };
  }
}
