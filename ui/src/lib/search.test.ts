import { describe, expect, it } from 'vitest';
import { view } from '../test/fixtures';
import { attentionList, buildIndex, filterItems, noFilter, tagsOf } from './search';

const views = [
  view('OpenAI', { env: ['OPENAI_API_KEY'], tags: ['ai'], service: 'openai' }),
  view('stripe-live', { env: ['STRIPE_SECRET_KEY'], tags: ['billing', 'prod'], due: 'overdue' }),
  view('github', { env: ['GH_TOKEN', 'GITHUB_TOKEN'], tags: ['scm'], due: 'due_soon' }),
  view('old-aws', { env: ['AWS_SECRET_ACCESS_KEY'], tags: ['prod'], due: 'expired' }),
];
const index = buildIndex(views);
const names = (q: string, f = noFilter) => filterItems(index, q, f).map((v) => v.item.name);

describe('search', () => {
  it('finds by name, env name, tag and service, ignoring case', () => {
    expect(names('openai')).toEqual(['OpenAI']);
    expect(names('github_token')).toEqual(['github']);
    expect(names('BILLING')).toEqual(['stripe-live']);
    expect(names('')).toHaveLength(4);
  });

  it('needs every word to match', () => {
    expect(names('prod secret')).toEqual(['stripe-live', 'old-aws']);
    expect(names('prod aws')).toEqual(['old-aws']);
    expect(names('prod nothing')).toEqual([]);
  });

  it('applies tag, kind and attention filters with the query', () => {
    expect(names('', { ...noFilter, tag: 'prod' })).toEqual(['stripe-live', 'old-aws']);
    expect(names('', { ...noFilter, attention: true })).toEqual(['stripe-live', 'github', 'old-aws']);
    expect(names('stripe', { ...noFilter, tag: 'scm' })).toEqual([]);
    expect(names('', { ...noFilter, kind: 'api_key' })).toHaveLength(4);
  });

  it('lists tags once, sorted', () => {
    expect(tagsOf(views)).toEqual(['ai', 'billing', 'prod', 'scm']);
  });

  it('orders what needs attention by urgency', () => {
    expect(attentionList(views).map((v) => v.item.name)).toEqual([
      'old-aws',
      'stripe-live',
      'github',
    ]);
  });
});
