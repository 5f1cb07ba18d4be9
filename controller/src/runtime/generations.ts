import { contentHash } from '@portcullis/contract';
import { isJsonObject } from '../resources/json.js';
import { resourceKey } from '../resources/model.js';
import type { Resource } from '../resources/model.js';

/**
 * Local mode has no API server to count generations, so the controller does what the API server
 * does: an object's generation starts at 1 and goes up by one each time anything but its metadata
 * and status changes. Without this, every edit of a file would stay "generation 1", and
 * observedGeneration and "Programmed for generation N" would say nothing. An object whose file sets
 * metadata.generation itself keeps that value. Deleting an object forgets it, as the API server does.
 */
export class GenerationCounter {
  #seen = new Map<string, { readonly contentHash: string; readonly generation: number }>();

  assign(resources: readonly Resource[]): Resource[] {
    const next = new Map<string, { contentHash: string; generation: number }>();
    const out = resources.map((r) => {
      if (hasExplicitGeneration(r)) return r;
      const key = resourceKey(r);
      const { metadata: _metadata, status: _status, ...content } = r.object;
      const hash = contentHash(content);
      const before = this.#seen.get(key);
      const generation =
        before === undefined ? 1 : before.contentHash === hash ? before.generation : before.generation + 1;
      next.set(key, { contentHash: hash, generation });
      return generation === r.generation ? r : { ...r, generation };
    });
    this.#seen = next;
    return out;
  }
}

function hasExplicitGeneration(r: Resource): boolean {
  const metadata = r.object['metadata'];
  return isJsonObject(metadata) && metadata['generation'] !== undefined;
}
