#!/usr/bin/env node
// Stable entry for `npx berth` and the workspace bin link: the compiled CLI lives in dist/.
import '../dist/bin.js';
