// Dates and states in words. Every function takes `now`, so tests fix it.
import type { DueState } from './bindings/DueState';
import type { Reason } from './bindings/Reason';
import type { RotationPolicy } from './bindings/RotationPolicy';

import { DEFAULT_INTERVAL_DAYS } from './bindings/constants';

const DAY = 86_400_000;

export { DEFAULT_INTERVAL_DAYS };

export function dueLabel(due: DueState): string {
  switch (due) {
    case 'expired':
      return 'Expired';
    case 'overdue':
      return 'Rotate now';
    case 'due_soon':
      return 'Due soon';
    case 'ok':
      return 'Up to date';
  }
}

/** What an item needing attention needs, in a badge's few words. */
export function attentionLabel(reason: Reason): string {
  switch (reason) {
    case 'expired':
      return 'Expired';
    case 'rotation_overdue':
      return 'Rotate now';
    case 'expires_soon':
      return 'Expires soon';
    case 'rotation_due_soon':
      return 'Due soon';
    case 'needs_relogin':
      return 'Log in again';
    case 'login_expired':
      return 'Sign-in expired';
    case 'login_expires_soon':
      return 'Sign-in expires soon';
    case 'refused_by_server':
      return 'Refused';
    case 'changed_on_two_devices':
      return 'Changed on two devices';
    case 'held_by_removed_device':
    case 'shared_with_removed_member':
      return 'Rotate now';
  }
}

/** A countdown to `iso` that is worth watching: seconds near the end. "expired" once past. */
export function countdown(iso: string, now: Date): string {
  const secs = Math.round((new Date(iso).getTime() - now.getTime()) / 1000);
  if (secs <= 0) return 'expired';
  if (secs < 60) return `in ${secs} s`;
  if (secs < 600) return `in ${Math.floor(secs / 60)} min ${String(secs % 60).padStart(2, '0')} s`;
  if (secs < 3600) return `in ${Math.round(secs / 60)} min`;
  return relative(iso, now);
}

/**
 * "4:05" left of a wait of `total` seconds started at `since`. A clock read just before the wait
 * began counts as its start, so the wait never shows more than its total.
 */
export function timeLeft(since: number, totalSecs: number, now: number): string {
  const elapsed = Math.max(0, now - since);
  const left = Math.max(0, Math.ceil(totalSecs - elapsed / 1000));
  return `${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')}`;
}

export function policyLabel(p: RotationPolicy): string {
  switch (p.policy) {
    case 'default':
      return `Every ${DEFAULT_INTERVAL_DAYS} days (default)`;
    case 'every':
      return p.days % 7 === 0 && p.days >= 14 ? `Every ${p.days / 7} weeks` : `Every ${p.days} days`;
    case 'never':
      return 'Never';
  }
}

/** "today", "in 3 days", "2 months ago". */
export function relative(iso: string, now: Date): string {
  const diff = new Date(iso).getTime() - now.getTime();
  const days = Math.round(diff / DAY);
  const rtf = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
  if (Math.abs(days) < 1) {
    const hours = Math.round(diff / 3_600_000);
    return Math.abs(hours) < 1 ? rtf.format(0, 'day') : rtf.format(hours, 'hour');
  }
  if (Math.abs(days) < 45) return rtf.format(days, 'day');
  const months = Math.round(days / 30.4);
  if (Math.abs(months) < 18) return rtf.format(months, 'month');
  return rtf.format(Math.round(days / 365), 'year');
}

/**
 * How long ago `iso` was, to the minute within the hour ("just now", "12 min ago"), so a refresh
 * the user just asked for shows as one; older times as [`relative`].
 */
export function ago(iso: string, now: Date): string {
  const secs = Math.round((now.getTime() - new Date(iso).getTime()) / 1000);
  if (secs < 60) return 'just now';
  if (secs < 3600) return `${Math.floor(secs / 60)} min ago`;
  return relative(iso, now);
}

/** "12 Mar 2026". */
export function shortDate(iso: string): string {
  return new Date(iso).toLocaleDateString(undefined, {
    day: 'numeric',
    month: 'short',
    year: 'numeric',
  });
}

/** "12 Mar 2026, 14:03". */
export function dateTime(iso: string): string {
  return new Date(iso).toLocaleString(undefined, {
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  });
}

/** "0.8 s", "1.9 s", "350 ms". */
export function duration(millis: number): string {
  return millis < 1000 ? `${millis} ms` : `${(millis / 1000).toFixed(1)} s`;
}

/** The YYYY-MM-DD of an instant, for a date input; and back to an instant at midnight UTC. */
export function toDateInput(iso: string | null | undefined): string {
  return iso ? iso.slice(0, 10) : '';
}

export function fromDateInput(date: string): string | null {
  return date ? `${date}T00:00:00Z` : null;
}

/** Splits "A, B  C" into ["A", "B", "C"]. */
export function splitList(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

/** `1 item`, `3 items`: a count and its noun (an `s` for the plural). */
export function plural(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? '' : 's'}`;
}
