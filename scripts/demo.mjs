#!/usr/bin/env node
// `npm run demo`: the daemon up, a demo session on a sample repo, and what to try next.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'packages/cli/bin/berth.js');
// Outside BERTH_HOME: berth never mounts its own data directory into a session.
const repo = process.env.BERTH_DEMO_REPO || join(homedir(), 'berth-demo');
const berth = (...args) => spawnSync(process.execPath, [cli, ...args], { stdio: 'inherit' }).status ?? 1;

if (!existsSync(join(repo, '.git'))) {
  mkdirSync(repo, { recursive: true });
  writeFileSync(join(repo, 'README.md'), '# berth demo\n\nA sample project for a first session.\n');
  writeFileSync(join(repo, 'hello.sh'), '#!/bin/sh\necho "hello from $(hostname)"\n', { mode: 0o755 });
  writeFileSync(
    join(repo, 'index.html'),
    '<!doctype html>\n<title>berth demo</title>\n<h1>Hello from a berth session</h1>\n<p>Edit index.html in the session and reload.</p>\n',
  );
  const git = (...a) => execFileSync('git', ['-C', repo, ...a], { stdio: 'ignore' });
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git(
    '-c',
    'user.name=berth demo',
    '-c',
    'user.email=demo@berth.invalid',
    'commit',
    '-q',
    '-m',
    'Sample project',
  );
}

const exists = spawnSync(process.execPath, [cli, 'show', 'demo', '--json'], { stdio: 'ignore' }).status === 0;
// A demo repo with a web page gets a live preview of it (a static server inside the session).
const preview = existsSync(join(repo, 'index.html')) ? ['--preview'] : [];
if (!exists && berth('new', 'demo', '--repo', repo, ...preview) !== 0) process.exit(1);
berth('ls');
// Setup links `berth` onto PATH; where it could not, the checkout's own runs it.
const found = spawnSync('sh', ['-c', 'command -v berth'], { encoding: 'utf8' }).stdout.trim();
const linked = found !== '' && realpathSync(found) === realpathSync(cli);
const b = linked ? 'berth' : `node ${cli}`;
const pad = (cmd) => `  ${cmd.padEnd(44)}`;
process.stdout.write(`
The daemon is up and session "demo" is running on branch berth/demo of ${repo}.
Next:
${pad(`${b} exec demo -- ./hello.sh`)}run a command in the session
${pad(`${b} preview demo --open`)}the session's web page (edit index.html, reload)
${pad(`${b} shell demo`)}open a shell in /workspace
${pad(`${b} exec demo -- sh -c 'echo hi > notes.txt'`)}
${pad(`${b} diff demo`)}see the change against main
${pad(`${b} finish demo -m "Add notes"`)}commit it onto berth/demo
  git -C ${repo} log --oneline berth/demo
${pad(`cd ~/src/app && ${b} new try --repo .`)}a session on your own repository
${pad(`${b} daemon stop`)}stop the daemon (sessions keep running)
`);
