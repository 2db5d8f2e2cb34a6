import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { ChatStack, type ChatStackProps } from '../../lib/chat-stack';

/** The feature flags `cdk synth` uses, so template tests see the template the CLI would produce. */
export function cdkJsonContext(): Record<string, unknown> {
  const parsed: unknown = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8'));
  if (typeof parsed !== 'object' || parsed === null || !('context' in parsed)) {
    throw new Error('cdk.json has no context');
  }
  const context: unknown = parsed.context;
  if (typeof context !== 'object' || context === null) {
    throw new Error('cdk.json context is not an object');
  }
  return { ...context };
}

/** An App with cdk.json's context that skips esbuild: assertion tests need templates, not bundles. */
export function appWithoutBundling(): App {
  return new App({ context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [] } });
}

export function chatStackWithoutBundling(props: ChatStackProps = {}): ChatStack {
  return new ChatStack(appWithoutBundling(), 'ChatTest', props);
}
