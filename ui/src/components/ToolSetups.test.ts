import { render, screen } from '@testing-library/svelte';
import { afterEach, describe, expect, it } from 'vitest';
import { backend, resetBackend } from '../test/ipc';
import ToolSetups from './ToolSetups.svelte';

describe('ToolSetups', () => {
  afterEach(resetBackend);

  it('lists the AWS profiles, Docker registries and kubectl contexts that ask vault, and what is left in plaintext', async () => {
    backend({
      tool_setups: {
        aws: [
          { profile: 'default', process: '/usr/bin/vault aws aws-prod', shadowed: false },
          { profile: 'staging', process: '/usr/bin/vault aws aws-staging', shadowed: true },
        ],
        aws_plain: ['ci'],
        aws_config: '/home/dev/.aws/config',
        aws_credentials: '/home/dev/.aws/credentials',
        docker: { every_registry: true, registries: [], plaintext: ['ghcr.io'] },
        docker_config: '/home/dev/.docker/config.json',
        kube: [{ context: 'prod', grant: 'corp-sso', file: '/home/dev/.kube/config' }],
        kube_config: ['/home/dev/.kube/config'],
      },
    });
    render(ToolSetups);
    const profiles = await screen.findAllByText((_, el) => el?.getAttribute('data-tool') === 'aws-profile');
    expect(profiles.map((p) => p.textContent)).toEqual([
      expect.stringContaining('default'),
      expect.stringContaining('still in ~/.aws/credentials'),
    ]);
    const plain = screen.getByText((_, el) => el?.getAttribute('data-tool') === 'aws-plain');
    expect(plain.textContent).toContain('/home/dev/.aws/credentials: the keys of ci.');
    expect(plain.textContent).toContain('vault setup aws --migrate');
    expect(screen.getByTestId('tool-setups').textContent).toContain('Every registry');
    expect(screen.getByTestId('tool-setups').textContent).toContain('unencrypted: ghcr.io');
    const contexts = screen.getAllByText((_, el) => el?.getAttribute('data-tool') === 'kube-context');
    expect(contexts.map((c) => c.textContent)).toEqual([expect.stringContaining('prod uses the grant corp-sso')]);
  });

  it('says how to set each up when none is', async () => {
    backend({
      tool_setups: {
        aws: [],
        aws_plain: [],
        aws_config: '/home/dev/.aws/config',
        aws_credentials: '/home/dev/.aws/credentials',
        docker: { every_registry: false, registries: [], plaintext: [] },
        docker_config: '/home/dev/.docker/config.json',
        kube: [],
        kube_config: ['/home/dev/.kube/config'],
      },
    });
    render(ToolSetups);
    const card = await screen.findByTestId('tool-setups');
    await screen.findByText(/No AWS profile asks vault/);
    expect(screen.queryByText((_, el) => el?.getAttribute('data-tool') === 'aws-plain')).toBeNull();
    expect(card.textContent).toContain('vault setup docker');
    expect(card.textContent).toContain('vault setup kube --context C --grant G');
  });
});
