/**
 * Lambda always hands a function its credentials in environment variables, so its bundles replace
 * the SDK's default provider chain (SSO, profiles, IMDS, …: about 90 KB of every bundle) with the
 * environment provider. The bundler aliases `@aws-sdk/credential-provider-node` to this module
 * (lib/chat-function.ts); code run unbundled, as by the local runtime, keeps the full chain.
 */
export { fromEnv as defaultProvider } from '@aws-sdk/credential-provider-env';
