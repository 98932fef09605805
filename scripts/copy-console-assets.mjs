#!/usr/bin/env node
// `npm run build`, after tsc: copies the operator console's static files (plain HTML, CSS and
// ES modules, nothing to bundle) from src/console/assets/ to dist/console/assets/, where the
// compiled gateway serves them (docs/console.md).
import { cpSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const from = fileURLToPath(new URL('../src/console/assets/', import.meta.url));
const to = fileURLToPath(new URL('../dist/console/assets/', import.meta.url));
rmSync(to, { recursive: true, force: true });
cpSync(from, to, { recursive: true });
