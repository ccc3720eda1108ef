// The registry door (swarm mode): HAProxy serves Slipway's loopback registry to the nodes on the
// cluster address, read-only. Nodes only pull (GET/HEAD of /v2/, manifests and blobs, by
// digest); a push or a delete from anyone on the cluster network is answered 405 here and never
// reaches the registry, which has no authentication of its own. Pure: the caller checks the
// addresses (haproxy-config.ts).

/** What every refused request gets back (the body of the 405). */
export const REGISTRY_DOOR_REFUSAL =
  "Slipway's registry door is read-only: nodes pull release images with GET and HEAD only; pushes and deletes go to the registry on Slipway's host (127.0.0.1)";

export interface RegistryDoorInput {
  bind: string;
  port: number;
  targetHost: string;
  targetPort: number;
}

/** A frontend and backend in `mode http` (their own: they follow the cluster's tcp defaults). */
export function registryDoorSections(d: RegistryDoorInput): string[] {
  return [
    `frontend slipway-registry
    mode http
    bind ${d.bind}:${d.port}
    timeout http-request 10s
    http-request return status 405 content-type "text/plain; charset=utf-8" string "${REGISTRY_DOOR_REFUSAL}" hdr Allow "GET, HEAD" unless { method GET HEAD }
    default_backend slipway-registry
`,
    `backend slipway-registry
    mode http
    server registry ${d.targetHost}:${d.targetPort}
`,
  ];
}
