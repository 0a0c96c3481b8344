#!/usr/bin/env -S node --max-semi-space-size=8
// The flags after `node` are apps/server/node-flags.json's (a test keeps the two equal).
// The `ringkv-server` command: runs the TypeScript entry through tsx (no build step).
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');
