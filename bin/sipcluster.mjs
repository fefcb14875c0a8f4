#!/usr/bin/env node
// Entry point of the `sipcluster` command. TypeScript runs through tsx's loader so that a fresh
// clone needs no build step (`npm ci` is enough).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
await main(process.argv);
