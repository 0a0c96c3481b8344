#!/usr/bin/env node
// The `ringkv-server` command: runs the TypeScript entry through tsx (no build step).
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');
