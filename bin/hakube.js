#!/usr/bin/env node
// Runs the TypeScript CLI through tsx so `npx hakube` works straight from a checkout, no build step.
require('tsx/cjs');
require('../src/starter.ts');
