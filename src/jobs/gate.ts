// A held container: a dependent's first attempt, created and started while what it waits for
// still runs, running only a gate — `/bin/sh` waiting for one line on its stdin — that execs the
// task's real command when the run releases it. Starting a container on the Engine takes most of
// a second (network, mounts, runtime); releasing a held one takes a write. The gate execs, so the
// task's process replaces it (its exit code and signals are the task's own). Pure.
import type { ContainerCreateSpec } from '../deploy/container-spec.js';

/** The line that releases a gate. */
export const GATE_GO = 'start';
/** A gate that ended without being released (its stdin closed: Slipway stopped) exits with this. */
export const GATE_UNRELEASED = 125;
const GATE_SCRIPT = `IFS= read -r go && [ "$go" = ${GATE_GO} ] && exec "$@"; exit ${GATE_UNRELEASED}`;

export interface ImageCommand {
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
}

/**
 * The argv the Engine would run for `spec` on an image with `image`'s config: a create that sets
 * an entrypoint drops the image's CMD; one that sets only a command keeps the image's entrypoint.
 */
export function effectiveCommand(spec: Pick<ContainerCreateSpec, 'Entrypoint' | 'Cmd'>, image: ImageCommand): string[] {
  if (spec.Entrypoint?.length) return [...spec.Entrypoint, ...(spec.Cmd ?? [])];
  return [...(image.Entrypoint ?? []), ...(spec.Cmd?.length ? spec.Cmd : (image.Cmd ?? []))];
}

/** `spec` behind a gate; null when there is no command to exec (the Engine would refuse it too). */
export function gatedSpec(spec: ContainerCreateSpec, image: ImageCommand): ContainerCreateSpec | null {
  const argv = effectiveCommand(spec, image);
  if (!argv.length) return null;
  return {
    ...spec,
    Entrypoint: ['/bin/sh', '-c', GATE_SCRIPT, 'slipway-gate'],
    Cmd: argv,
    OpenStdin: true,
    StdinOnce: true,
    AttachStdin: true,
  };
}
