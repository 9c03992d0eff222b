#!/usr/bin/env node
// CommonJS, so that a process running the bundle never starts Node's ESM loader (engine/launch.cts).
const { loadCli } = require('../dist/engine/launch.cjs');

loadCli()
  .then((cli) => cli.main(process.argv.slice(2)))
  .then((code) => { process.exitCode = code; });
