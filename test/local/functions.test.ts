import { describe, expect, it } from 'vitest';
import { instantiate } from '../../local/functions';

describe('instantiate', () => {
  it('gives each instance of a bundle module state of its own, and each its own environment', async () => {
    const bundle = {
      code: "let calls = 0; exports.handler = async () => process.env.NAME + ' ' + ++calls;",
      filename: '/functions/counter.js',
    };
    const first = instantiate(bundle, { NAME: 'first' });
    const second = instantiate(bundle, { NAME: 'second' });
    const invoke = (handler: typeof first) => handler({}, {} as never) as Promise<string>;
    expect(await invoke(first)).toBe('first 1');
    expect(await invoke(first)).toBe('first 2');
    expect(await invoke(second)).toBe('second 1');
  });
});
