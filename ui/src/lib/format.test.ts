import { describe, expect, it } from 'vitest';
import {
  ago,
  attentionLabel,
  countdown,
  duration,
  fromDateInput,
  policyLabel,
  relative,
  splitList,
  timeLeft,
  toDateInput,
} from './format';

describe('format', () => {
  const now = new Date('2026-03-01T12:00:00Z');

  it('says dates relative to now', () => {
    expect(relative('2026-03-11T12:00:00Z', now)).toBe('in 10 days');
    expect(relative('2026-02-27T12:00:00Z', now)).toBe('2 days ago');
    expect(relative('2026-09-01T12:00:00Z', now)).toBe('in 6 months');
  });

  it('says how long ago a refresh was, to the minute within the hour', () => {
    expect(ago('2026-03-01T11:59:35Z', now)).toBe('just now');
    expect(ago('2026-03-01T11:47:10Z', now)).toBe('12 min ago');
    expect(ago('2026-03-01T09:00:00Z', now)).toBe('3 hours ago');
    expect(ago('2026-02-27T12:00:00Z', now)).toBe('2 days ago');
  });

  it('names rotation policies', () => {
    expect(policyLabel({ policy: 'default' })).toBe('Every 90 days (default)');
    expect(policyLabel({ policy: 'every', days: 30 })).toBe('Every 30 days');
    expect(policyLabel({ policy: 'every', days: 28 })).toBe('Every 4 weeks');
    expect(policyLabel({ policy: 'never' })).toBe('Never');
  });

  it('round-trips date inputs and splits lists', () => {
    expect(toDateInput('2030-01-31T00:00:00Z')).toBe('2030-01-31');
    expect(fromDateInput('2030-01-31')).toBe('2030-01-31T00:00:00Z');
    expect(fromDateInput('')).toBeNull();
    expect(splitList(' A, B  C,,')).toEqual(['A', 'B', 'C']);
    expect(duration(350)).toBe('350 ms');
    expect(duration(1890)).toBe('1.9 s');
  });

  it('counts down to a token expiry, in seconds near the end', () => {
    expect(countdown('2026-03-01T12:00:42Z', now)).toBe('in 42 s');
    expect(countdown('2026-03-01T12:04:05Z', now)).toBe('in 4 min 05 s');
    expect(countdown('2026-03-01T12:30:00Z', now)).toBe('in 30 min');
    expect(countdown('2026-03-01T15:00:00Z', now)).toBe('in 3 hours');
    expect(countdown('2026-03-01T11:59:59Z', now)).toBe('expired');
    expect(timeLeft(0, 300, 55_000)).toBe('4:05');
    expect(timeLeft(0, 300, 400_000)).toBe('0:00');
    expect(timeLeft(10_000, 300, 9_200)).toBe('5:00');
  });

  it('names why a sign-in needs attention, not as a rotation', () => {
    expect(attentionLabel('needs_relogin')).toBe('Log in again');
    expect(attentionLabel('refused_by_server')).toBe('Refused');
    expect(attentionLabel('login_expired')).toBe('Sign-in expired');
    expect(attentionLabel('login_expires_soon')).toBe('Sign-in expires soon');
    expect(attentionLabel('rotation_overdue')).toBe('Rotate now');
  });
});
