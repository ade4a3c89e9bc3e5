/**
 * Integration tests against the real Docker Engine: no mocks. The bootstrapped base
 * (berth/base:bookworm) is made if missing and left in place for everyone else.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { describe, expect, it, onTestFinished } from 'vitest';
import { ImageError, InvalidInput } from '../src/errors/berth-error.js';
import {
  BOOTSTRAP_BASE_IMAGE,
  bootstrapBaseImage,
  buildSessionImage,
  sessionImageStatus,
} from '../src/images/session-image.js';
import { SESSION_NODE_VERSION } from '../src/images/session-node.js';
import { DockerImages } from '../src/runtime/docker-images.js';

const docker = new Docker();
const images = new DockerImages(docker);

function testTag(): string {
  return `berth-test/session:${randomBytes(4).toString('hex')}`;
}

function removeImageAfterTest(tag: string): void {
  onTestFinished(async () => {
    await docker
      .getImage(tag)
      .remove({ force: true })
      .catch(() => undefined);
  });
}

/** Runs a command in a throwaway container (no network) and returns its exit code and output. */
async function runIn(image: string, cmd: string[]): Promise<{ code: number; output: string }> {
  const container = await docker.createContainer({
    Image: image,
    Cmd: cmd,
    Tty: true, // one raw output stream, nothing to demultiplex
    HostConfig: { NetworkMode: 'none' },
  });
  try {
    await container.start();
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    const logs = await container.logs({ stdout: true, stderr: true, follow: false });
    return { code: StatusCode, output: logs.toString('utf8').replace(/\r/g, '') };
  } finally {
    await container.remove({ force: true }).catch(() => undefined);
  }
}

describe('session image', () => {
  it('builds an image with git, tmux, Node.js, npm, Python 3 and a uid-1000 user', {
    timeout: 240_000,
  }, async () => {
    const tag = testTag();
    removeImageAfterTest(tag);
    const lines: string[] = [];

    await bootstrapBaseImage({ images, ifMissing: true, onProgress: (l) => lines.push(l) });
    expect(await images.exists(BOOTSTRAP_BASE_IMAGE)).toBe(true);

    const built = await buildSessionImage({ images, tag, onProgress: (l) => lines.push(l) });
    expect(built.tag).toBe(tag);
    expect(built.id).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every((l) => l.length > 0 && !l.endsWith('\n'))).toBe(true);

    const status = await sessionImageStatus(images, tag);
    expect(status).toMatchObject({ tag, present: true, id: built.id });
    expect(status.sizeBytes).toBeGreaterThan(0);

    const { code, output } = await runIn(tag, [
      'sh',
      '-c',
      'git --version && tmux -V && id -u && pwd && busybox httpd --help 2>&1 | head -1 && ' +
        'node --version && npm --version && python3 --version',
    ]);
    expect(code).toBe(0);
    const out = output.split('\n');
    expect(out[0]).toMatch(/^git version \d/);
    expect(out[1]).toMatch(/^tmux \d/);
    expect(out[2]).toBe('1000');
    expect(out[3]).toBe('/workspace');
    // Static previews fall back on busybox httpd.
    expect(out[4]).toMatch(/^BusyBox v\d/);
    // What --preview detects runs on it (no network here: Node came in the build context).
    expect(out[5]).toBe(`v${SESSION_NODE_VERSION}`);
    expect(out[6]).toMatch(/^\d+\.\d+\.\d+$/);
    expect(out[7]).toMatch(/^Python 3\./);
  });

  it('rejects with an ImageError naming a missing base and leaves no image', {
    timeout: 120_000,
  }, async () => {
    const tag = testTag();
    removeImageAfterTest(tag);
    const base = `berth-test/no-such-base:${randomBytes(4).toString('hex')}`;

    const err = await buildSessionImage({ images, tag, base }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ImageError);
    expect((err as ImageError).code).toBe('image_error');
    expect((err as ImageError).message).toContain(base);
    expect(await images.exists(tag)).toBe(false);
  });

  it('hands proxy settings to the build steps, never into the image', { timeout: 120_000 }, async () => {
    const tag = testTag();
    removeImageAfterTest(tag);
    const dir = mkdtempSync(join(tmpdir(), 'berth-proxy-build-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    // What a build behind a proxy sees: the steps get the variables (here they write them down).
    writeFileSync(
      join(dir, 'Dockerfile'),
      'ARG BASE\nFROM $BASE\nRUN echo "seen=$HTTPS_PROXY,$no_proxy" > /proxy-seen\n',
    );
    const proxy = 'http://proxy-user:proxy-secret@127.0.0.1:3128';
    await buildSessionImage({
      images,
      tag,
      base: 'berth-test/busybox:1',
      dockerfileDir: dir,
      proxy: { HTTPS_PROXY: proxy, no_proxy: 'localhost', NOT_A_PROXY: 'kept-out' },
    });
    expect((await runIn(tag, ['cat', '/proxy-seen'])).output.trim()).toBe(`seen=${proxy},localhost`);
    const history = JSON.stringify(await docker.getImage(tag).history());
    const config = JSON.stringify(await docker.getImage(tag).inspect());
    for (const where of [history, config]) {
      expect(where).not.toContain('proxy-secret');
      expect(where).not.toContain('kept-out');
    }
  });

  it('reports a missing tag and refuses an invalid one', async () => {
    const tag = testTag();
    expect(await sessionImageStatus(images, tag)).toEqual({ tag, present: false });
    await expect(buildSessionImage({ images, tag: 'Not A Tag' })).rejects.toBeInstanceOf(InvalidInput);
  });
});
