import { describe, expect, it } from 'vitest';
import { fieldsChange, toRows } from './fields';

describe('fieldsChange', () => {
  const before = { username: 'alice', org: 'acme' };

  it('is nothing when the rows are the fields as they were', () => {
    expect(fieldsChange(before, toRows(before))).toEqual({ fields: undefined, secrets: {} });
    expect(fieldsChange(undefined, [{ name: ' ', value: 'x' }])).toEqual({ fields: undefined, secrets: {} });
    // A stored secret field left empty keeps its value.
    expect(fieldsChange(before, toRows(before, ['password']), ['password'])).toEqual({
      fields: undefined,
      secrets: {},
    });
  });

  it('sets what is new or changed and removes what is gone', () => {
    expect(
      fieldsChange(before, [
        { name: 'username', value: 'bob' },
        { name: 'team', value: 'infra' },
      ]).fields,
    ).toEqual({ username: 'bob', team: 'infra', org: null });
  });

  it('sets typed secret fields, removes dropped ones, and moves fields between the kinds', () => {
    const rows = [
      { name: 'username', value: 'alice', secret: true },
      { name: 'org', value: 'acme' },
      { name: 'token', value: 'hunter2', secret: true },
      { name: 'otp', value: 'plain-now' },
    ];
    expect(fieldsChange(before, rows, ['password', 'otp'])).toEqual({
      fields: { password: null, otp: 'plain-now' },
      secrets: { username: 'alice', token: 'hunter2' },
    });
  });
});
