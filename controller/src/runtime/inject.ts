import { formatPath } from '../resources/field-path.js';
import { hardenJson } from '../resources/json.js';
import { identify, resourceKey, resourceLabel } from '../resources/model.js';
import type { Resource } from '../resources/model.js';

export const INJECTED_FILE = '(injected)';

/**
 * Raw objects handed over in code (e.g. the demo's JWKS Secret) get the same checks as a file's
 * documents. They come from the program, not the user, so a bad one is a bug and throws.
 */
export function injectedResources(objects: readonly unknown[]): Resource[] {
  return objects.map((raw, i) => {
    const hardened = hardenJson(raw);
    if (!hardened.ok)
      throw new TypeError(`extraResources[${i}]: ${formatPath(hardened.path)}: ${hardened.message}`);
    const id = identify(hardened.value, { file: INJECTED_FILE, line: i + 1 });
    if (id.type !== 'resource') {
      const why =
        id.type === 'error'
          ? `${formatPath(id.path)}: ${id.message}`
          : id.type === 'ignored'
            ? id.message
            : 'a List';
      throw new TypeError(`extraResources[${i}]: ${why}`);
    }
    return id.resource;
  });
}

/** Folder objects win over injected ones with the same identity: the files are what the user wrote. */
export function mergeResources(
  folder: readonly Resource[],
  injected: readonly Resource[],
): { resources: Resource[]; shadowed: string[] } {
  const keys = new Set(folder.map(resourceKey));
  const shadowed = injected.filter((r) => keys.has(resourceKey(r))).map(resourceLabel);
  return { resources: [...folder, ...injected.filter((r) => !keys.has(resourceKey(r)))], shadowed };
}
