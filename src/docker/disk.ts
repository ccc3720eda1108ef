// Docker Engine adapter for disk use: the engine's own accounting (`docker system df`) of the
// images and volumes carrying a label.
import type Dockerode from 'dockerode';
import { engineError } from './client.js';

export interface LabelledDiskUse {
  /** `bytes`: what only these images hold; `sharedBytes`: layers they share with other images. */
  images: { count: number; bytes: number; sharedBytes: number };
  volumes: { count: number; bytes: number };
}

interface DfImage {
  Size: number;
  SharedSize: number;
  Labels: Record<string, string> | null;
}
interface DfVolume {
  Labels: Record<string, string> | null;
  UsageData?: { Size: number } | null;
}

export async function labelledDiskUse(docker: Dockerode, label: string, value: string): Promise<LabelledDiskUse> {
  let df: { Images?: DfImage[] | null; Volumes?: DfVolume[] | null };
  try {
    df = (await docker.df()) as typeof df;
  } catch (e) {
    throw engineError(e, 'docker system df');
  }
  const images = (df.Images ?? []).filter((i) => i.Labels?.[label] === value);
  const volumes = (df.Volumes ?? []).filter((v) => v.Labels?.[label] === value);
  const shared = images.map((i) => Math.max(0, i.SharedSize));
  return {
    images: {
      count: images.length,
      bytes: images.reduce((a, i) => a + i.Size - Math.max(0, i.SharedSize), 0),
      // Layers shared with other images are counted once: the largest share stands for them.
      sharedBytes: shared.length ? Math.max(...shared) : 0,
    },
    // -1 means the engine did not measure it.
    volumes: { count: volumes.length, bytes: volumes.reduce((a, v) => a + Math.max(0, v.UsageData?.Size ?? 0), 0) },
  };
}
