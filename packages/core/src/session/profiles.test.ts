import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/config.js';
import { formatDuration, parseDuration } from '../config/duration.js';
import { changeIdlePolicy, defaultLimitsFor, idlePolicyFor, idleReason, sessionKindFor } from './profiles.js';

const GiB = 1024 ** 3;

describe('session kinds and their profiles', () => {
  it('decides the kind from the fields a create carries', () => {
    expect(sessionKindFor({})).toBe('shell');
    expect(sessionKindFor({ agent: 'claude' })).toBe('agent');
    expect(sessionKindFor({ preview: {} })).toBe('preview');
    expect(sessionKindFor({ agent: 'claude', preview: {} })).toBe('agent');
    expect(sessionKindFor({ kind: 'preview', agent: 'claude' })).toBe('preview');
    expect(() => sessionKindFor({ kind: 'robot' as 'shell' })).toThrow(/kind "robot" is not known/);
  });

  it('gives each kind its default limits, from the configuration', () => {
    const c = loadConfig({ BERTH_HOME: '/x' });
    expect(defaultLimitsFor('agent', c)).toEqual({ cpus: 1, memoryBytes: 2 * GiB, pids: 512 });
    expect(defaultLimitsFor('preview', c)).toEqual({ cpus: 0.5, memoryBytes: GiB, pids: 512 });
    expect(defaultLimitsFor('shell', c)).toEqual(c.defaultLimits);
    const tuned = loadConfig({
      BERTH_HOME: '/x',
      BERTH_PREVIEW_MEMORY: '512m',
      BERTH_PREVIEW_CPUS: '0.25',
      BERTH_DEFAULT_PIDS: '100',
    });
    expect(defaultLimitsFor('preview', tuned)).toEqual({
      cpus: 0.25,
      memoryBytes: 512 * 1024 ** 2,
      pids: 100,
    });
  });

  it('refuses bad profile settings with the variable named', () => {
    expect(() => loadConfig({ BERTH_HOME: '/x', BERTH_AGENT_CPUS: 'lots' })).toThrow(/BERTH_AGENT_CPUS=lots/);
    expect(() => loadConfig({ BERTH_HOME: '/x', BERTH_AGENT_CPUS: '0' })).toThrow(/BERTH_AGENT_CPUS/);
    expect(() => loadConfig({ BERTH_HOME: '/x', BERTH_PREVIEW_MEMORY: '1k' })).toThrow(
      /BERTH_PREVIEW_MEMORY/,
    );
    expect(() => loadConfig({ BERTH_HOME: '/x', BERTH_RUNTIME: 'kata' })).toThrow(/BERTH_RUNTIME=kata/);
    expect(() => loadConfig({ BERTH_HOME: '/x', BERTH_GVISOR_RUNTIME: 'a b' })).toThrow(
      /BERTH_GVISOR_RUNTIME/,
    );
  });
});

describe('idle policy', () => {
  it('reads durations as seconds or with units', () => {
    expect(parseDuration('300')).toBe(300);
    expect(parseDuration('5m')).toBe(300);
    expect(parseDuration('1h30m')).toBe(5400);
    expect(parseDuration('2d')).toBe(172_800);
    expect(parseDuration('never')).toBe(0);
    expect(parseDuration('5 minutes')).toBe(300);
    expect(() => parseDuration('1.5h')).toThrow(/not a duration/);
    // The api's grammar, refused as core's InvalidInput with the hint the CLI prints.
    expect(() => parseDuration('soon', '--idle-timeout')).toThrow(
      expect.objectContaining({
        code: 'invalid_input',
        message: '--idle-timeout "soon" is not a duration',
        hint: expect.stringContaining('1h30m'),
      }),
    );
    expect(() => parseDuration('31d')).toThrow(/30 days/);
    expect(() => parseDuration('')).toThrow(/not a duration/);
    expect(formatDuration(300)).toBe('5m');
    expect(formatDuration(5400)).toBe('1h30m');
    expect(formatDuration(2)).toBe('2s');
  });

  it('seeds agents with 5m, other kinds never, all from the configuration', () => {
    const c = loadConfig({ BERTH_HOME: '/x' });
    expect(idlePolicyFor('agent', {}, c)).toEqual({ timeoutSeconds: 300, action: 'pause' });
    expect(idlePolicyFor('shell', {}, c)).toEqual({ timeoutSeconds: 0, action: 'pause' });
    expect(idlePolicyFor('preview', { idleTimeoutSeconds: 60 }, c)).toEqual({
      timeoutSeconds: 60,
      action: 'pause',
    });
    const all = loadConfig({ BERTH_HOME: '/x', BERTH_IDLE_TIMEOUT: '1h', BERTH_IDLE_ACTION: 'stop' });
    expect(idlePolicyFor('shell', {}, all)).toEqual({ timeoutSeconds: 3600, action: 'stop' });
    expect(idlePolicyFor('agent', {}, all)).toEqual({ timeoutSeconds: 3600, action: 'stop' });
    const both = loadConfig({ BERTH_HOME: '/x', BERTH_IDLE_TIMEOUT: '1h', BERTH_AGENT_IDLE_TIMEOUT: '10m' });
    expect(idlePolicyFor('agent', {}, both).timeoutSeconds).toBe(600);
    expect(() => loadConfig({ BERTH_HOME: '/x', BERTH_IDLE_ACTION: 'sleep' })).toThrow(
      /BERTH_IDLE_ACTION=sleep/,
    );
    expect(() => loadConfig({ BERTH_HOME: '/x', BERTH_IDLE_TIMEOUT: 'soon' })).toThrow(
      /BERTH_IDLE_TIMEOUT=soon/,
    );
  });

  it('changes a policy only with valid values, and names the reason it leaves', () => {
    const p = { timeoutSeconds: 300, action: 'pause' as const };
    expect(changeIdlePolicy(p, { idleAction: 'stop' })).toEqual({ timeoutSeconds: 300, action: 'stop' });
    expect(() => changeIdlePolicy(p, { idleTimeoutSeconds: 1.5 })).toThrow(/idle timeout/);
    expect(() => changeIdlePolicy(p, { idleTimeoutSeconds: -1 })).toThrow(/idle timeout/);
    expect(() => changeIdlePolicy(p, { idleAction: 'nap' as 'stop' })).toThrow(/idle action/);
    expect(idleReason(p)).toBe('idle for 5m: paused');
    expect(idleReason({ timeoutSeconds: 3600, action: 'stop' })).toBe('idle for 1h: stopped');
  });
});
