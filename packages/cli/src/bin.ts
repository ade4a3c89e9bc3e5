#!/usr/bin/env node
import { BERTH_VERSION } from '@berth/api';
import { Command } from 'commander';
import { register as attach } from './commands/attach.js';
import { register as auth } from './commands/auth.js';
import { register as daemon } from './commands/daemon.js';
import { register as diff } from './commands/diff.js';
import { register as dispatch } from './commands/dispatch.js';
import { register as doctor } from './commands/doctor.js';
import { register as egress } from './commands/egress.js';
import { register as exec } from './commands/exec.js';
import { register as finish } from './commands/finish.js';
import { register as image } from './commands/image.js';
import { register as lifecycle } from './commands/lifecycle.js';
import { register as login } from './commands/login.js';
import { register as logs } from './commands/logs.js';
import { register as ls } from './commands/ls.js';
import { register as mcp } from './commands/mcp.js';
import { register as newSession } from './commands/new.js';
import { register as preview } from './commands/preview.js';
import { register as rm } from './commands/rm.js';
import { register as send } from './commands/send.js';
import { register as serve } from './commands/serve.js';
import { register as shell } from './commands/shell.js';
import { register as show } from './commands/show.js';
import { register as stats } from './commands/stats.js';
import { register as team } from './commands/team.js';
import { register as token } from './commands/token.js';
import { register as update } from './commands/update.js';
import { register as user } from './commands/user.js';
import { register as wait } from './commands/wait.js';
import { EXIT } from './output.js';

const program = new Command('berth')
  .description('run coding agents and people in isolated container sessions, each on its own git branch')
  .version(BERTH_VERSION)
  .showHelpAfterError('(run `berth --help` for usage)')
  .configureOutput({ outputError: (s, write) => write(s) })
  .exitOverride((err) => {
    process.exit(err.exitCode === 0 ? 0 : EXIT.usage);
  });

for (const register of [
  newSession,
  ls,
  show,
  exec,
  shell,
  attach,
  dispatch,
  send,
  wait,
  logs,
  stats,
  egress,
  diff,
  lifecycle,
  update,
  finish,
  rm,
  preview,
  image,
  auth,
  login,
  token,
  user,
  team,
  doctor,
  mcp,
  daemon,
  serve,
]) {
  register(program);
}

await program.parseAsync(process.argv);
