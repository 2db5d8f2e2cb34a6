/**
 * What every AWS client of a function is built with. Lambda hands a function its role's credentials
 * and its region in the environment; the wiring reads them once, at cold start, and passes them to each
 * client, rather than leaving each client to search the SDK's provider chain. The local runtime gives
 * each function credentials of its own this way, so that its calls can be checked against its grants.
 */
export interface AwsClientConfig {
  readonly region: string;
  readonly credentials: {
    readonly accessKeyId: string;
    readonly secretAccessKey: string;
    readonly sessionToken?: string;
  };
}
