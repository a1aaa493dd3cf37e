import { describe, expect, it } from 'vitest';
import { fieldsChange, toRows } from './fields';

describe('fieldsChange', () => {
  const before = { username: 'alice', org: 'acme' };

  it('is nothing when the rows are the fields as they were', () => {
    expect(fieldsChange(before, toRows(before))).toBeUndefined();
    expect(fieldsChange(undefined, [{ name: ' ', value: 'x' }])).toBeUndefined();
  });

  it('sets what is new or changed and removes what is gone', () => {
    expect(
      fieldsChange(before, [
        { name: 'username', value: 'bob' },
        { name: 'team', value: 'infra' },
      ]),
    ).toEqual({ username: 'bob', team: 'infra', org: null });
  });
});
