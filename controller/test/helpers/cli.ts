import { runCli } from '../../src/cli/dispatch.js';
import { MemoryStream } from './streams.js';

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `portcullis <argv>` in-process, capturing what it writes. */
export async function cli(...argv: string[]): Promise<CliRun> {
  const stdout = new MemoryStream();
  const stderr = new MemoryStream();
  const code = await runCli(argv, { stdout, stderr });
  return { code, stdout: stdout.text, stderr: stderr.text };
}
