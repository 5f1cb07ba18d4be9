#!/usr/bin/env node
import { runCli } from './dispatch.js';

// Thin on purpose: every command is a function of (argv, streams) -> exit code, tested in-process.
const code = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr });
process.exitCode = code;
// A command that has returned is done; do not let a lingering socket keep the process alive.
setTimeout(() => process.exit(code), 2000).unref();
