#!/usr/bin/env node
// The built CLI (npm run build); during development use `npm run cli -- …`.
import '../out/main/cli.js';
