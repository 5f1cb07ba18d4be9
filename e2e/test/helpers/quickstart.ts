import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CLI_BIN, NodeProcess, REPO_ROOT } from './processes.js';

/** The folder `npm start` runs `portcullis up` on. */
export const QUICKSTART = join(REPO_ROOT, 'examples/quickstart');

/** `portcullis up` on loopback; the admin port is always ephemeral. */
export function startUp(
  folder: string,
  o: { port: string; upstreamPort: string; stateDir: string },
): NodeProcess {
  return new NodeProcess(CLI_BIN, [
    'up',
    '-f',
    folder,
    '--port',
    o.port,
    '--admin-port',
    '0',
    '--upstream-port',
    o.upstreamPort,
    '--state-dir',
    o.stateDir,
  ]);
}

/**
 * Copies the quick-start folder to `<dir>/quickstart`, its routes pointed at 127.0.0.1:`upstreamPort`
 * instead of the demo upstream's usual port; returns the copy.
 */
export async function copyQuickstart(dir: string, upstreamPort: number): Promise<string> {
  const folder = join(dir, 'quickstart');
  await cp(QUICKSTART, folder, { recursive: true });
  const routes = join(folder, 'routes.yaml');
  await writeFile(
    routes,
    (await readFile(routes, 'utf8')).replace('127.0.0.1:9000', `127.0.0.1:${upstreamPort}`),
  );
  return folder;
}
