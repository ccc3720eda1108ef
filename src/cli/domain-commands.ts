// Domain and certificate commands: domains, domains:add, domains:remove, certs, certs:add,
// certs:remove, certs:auto, certs:renew.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { ApiClient } from './client.js';
import { printList, printTable } from './output.js';

interface DomainView {
  name: string;
  unicode: string;
  default: boolean;
}

interface HostCertView {
  domain: string;
  source: string | null;
  certificateId: number | null;
  issuer: string | null;
  notAfter: string | null;
  acme: { renewAt: string | null; lastAttemptAt: string | null; lastSuccessAt: string | null; lastError: string | null; nextAttemptAt: string | null } | null;
  redirect: boolean;
}

interface CertsView {
  auto: boolean;
  hosts: HostCertView[];
  certificates: { id: number; names: string[]; issuer: string; notAfter: string; hosts: string[] }[];
}

const day = (iso: string | null | undefined) => (iso ? iso.slice(0, 10) : null);

/** The last ACME result in a few words: what `slipway certs` shows per domain. */
export function acmeStatus(h: HostCertView): string {
  const a = h.acme;
  if (!a) return h.source === 'uploaded' ? 'uploaded' : '-';
  if (a.lastError) return `FAILED ${day(a.lastAttemptAt)}: ${a.lastError} (next try ${a.nextAttemptAt?.slice(0, 16).replace('T', ' ')})`;
  if (a.lastSuccessAt) return `ok ${day(a.lastSuccessAt)}, renews ${day(a.renewAt)}`;
  return 'pending';
}

export function registerDomainCommands(program: Command, client: () => ApiClient): void {
  const base = (app: string) => `/api/apps/${encodeURIComponent(app)}`;

  program
    .command('domains <app>')
    .description("list the app's domains (its default address first)")
    .option('--json', 'print JSON')
    .action(async (app: string, opts: { json?: boolean }) => {
      const list = await client().get<DomainView[]>(`${base(app)}/domains`);
      const rows = list.map((d) => ({ domain: d.unicode === d.name ? d.name : `${d.unicode} (${d.name})`, kind: d.default ? 'default' : 'custom' }));
      if (opts.json) return console.log(JSON.stringify(list, null, 2));
      printTable(rows, ['domain', 'kind']);
    });

  program
    .command('domains:add <app> <domain>')
    .description('route a domain to the app (at once); with certs:auto on, a certificate follows')
    .action(async (app: string, domain: string) => {
      const d = await client().post<DomainView>(`${base(app)}/domains`, { domain });
      const certs = await client().get<CertsView>(`${base(app)}/certs`);
      console.log(`-----> Added ${d.unicode === d.name ? d.name : `${d.unicode} (${d.name})`} to ${app}`);
      console.log(`       Point its DNS (A/AAAA, or a CNAME) at this server.`);
      if (certs.auto) console.log(`       A certificate is being requested (ACME); see: slipway certs ${app}`);
      else console.log(`       For HTTPS: slipway certs:auto ${app} on   (or: slipway certs:add ${app} cert.pem key.pem)`);
    });

  program
    .command('domains:remove <app> <domain>')
    .description('stop routing a domain to the app (its certificate goes if nothing else uses it)')
    .action(async (app: string, domain: string) => {
      await client().delete(`${base(app)}/domains/${encodeURIComponent(domain)}`);
      console.log(`-----> Removed ${domain} from ${app}`);
    });

  program
    .command('certs <app>')
    .description("each domain's certificate: source, issuer, expiry, last renewal")
    .option('--json', 'print JSON')
    .action(async (app: string, opts: { json?: boolean }) => {
      const v = await client().get<CertsView>(`${base(app)}/certs`);
      if (opts.json) return console.log(JSON.stringify(v, null, 2));
      console.log(`=== ${app} certificates (ACME: ${v.auto ? 'on' : 'off'})`);
      const rows = v.hosts.map((h) => ({
        domain: h.domain,
        source: h.source ?? 'none',
        issuer: h.issuer,
        expires: day(h.notAfter),
        https_only: h.redirect ? 'yes' : 'no',
        status: acmeStatus(h),
      }));
      printList(rows, ['domain', 'source', 'issuer', 'expires', 'https_only', 'status'], false);
      if (v.certificates.length) {
        console.log(`\nUploaded:`);
        printTable(v.certificates.map((c) => ({ id: c.id, names: c.names.join(','), issuer: c.issuer, expires: day(c.notAfter), serves: c.hosts.join(',') })), ['id', 'names', 'issuer', 'expires', 'serves']);
      }
    });

  program
    .command('certs:add <app> <cert> <key>')
    .description('use your own certificate (PEM, chain included) and key for the domains it covers')
    .action(async (app: string, certFile: string, keyFile: string) => {
      const c = await client().post<{ id: number; names: string[]; notAfter: string; hosts: string[] }>(`${base(app)}/certs`, {
        cert: readFileSync(certFile, 'utf8'),
        key: readFileSync(keyFile, 'utf8'),
      });
      console.log(`-----> Certificate ${c.id} for ${c.names.join(', ')} (until ${day(c.notAfter)}) now serves ${c.hosts.join(', ')}`);
    });

  program
    .command('certs:remove <app> <id>')
    .description('remove an uploaded certificate (an ACME one, if any, serves again)')
    .action(async (app: string, id: string) => {
      await client().delete(`${base(app)}/certs/${encodeURIComponent(id)}`);
      console.log(`-----> Removed certificate ${id} from ${app}`);
    });

  program
    .command('certs:auto <app> <state>')
    .description("ACME (Let's Encrypt) certificates for all the app's domains: on or off")
    .action(async (app: string, state: string) => {
      if (!['on', 'off'].includes(state)) throw new Error(`certs:auto takes "on" or "off", not ${JSON.stringify(state)}`);
      const r = await client().post<{ managed: string[] }>(`${base(app)}/certs/auto`, { enabled: state === 'on' });
      if (state === 'off') return console.log(`-----> ACME off for ${app}: its ACME certificates were removed`);
      console.log(`-----> ACME on for ${app}${r.managed.length ? `: requesting certificates for ${r.managed.join(', ')}` : ' (no custom domain yet: slipway domains:add)'}`);
    });

  program
    .command('certs:renew <app> [domain]')
    .description('renew the app’s ACME certificates now (the current ones serve until the new ones are in)')
    .action(async (app: string, domain?: string) => {
      const r = await client().post<{ queued: string[] }>(`${base(app)}/certs/renew`, domain ? { domain } : {});
      console.log(`-----> Renewal queued for ${r.queued.join(', ')}; see: slipway certs ${app}`);
    });
}
