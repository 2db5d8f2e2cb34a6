import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';
import { type S3RequestEvent, startS3Guard } from './s3-guard';

export interface S3Server {
  /** Where clients and handlers reach S3: the checking layer in front of s3rver. */
  endpoint: string;
  stop(): Promise<void>;
}

/** s3rver accepts only these credentials; every local S3 client must use them. */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

/**
 * An embedded S3-compatible server behind a layer that checks signatures, expiry and POST policies as
 * S3 does (local/s3-guard.ts). Objects live in `dataDir`, or in a temporary folder removed on stop.
 * `port` is the layer's: the one clients and handlers use.
 */
export async function startS3(options: {
  dataDir?: string;
  port?: number;
  onRequest?: (event: S3RequestEvent) => void;
}): Promise<S3Server> {
  const directory = options.dataDir ?? mkdtempSync(join(tmpdir(), 'chat-s3-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, directory, silent: true });
  const address = await server.run();
  const guard = await startS3Guard({
    upstream: `http://127.0.0.1:${address.port}`,
    credentials: S3RVER_CREDENTIALS,
    region: 'us-east-1',
    ...(options.port === undefined ? {} : { port: options.port }),
    ...(options.onRequest ? { onRequest: options.onRequest } : {}),
  });
  return {
    endpoint: guard.endpoint,
    stop: async () => {
      await guard.stop();
      await server.close();
      if (!options.dataDir) rmSync(directory, { recursive: true, force: true });
    },
  };
}
