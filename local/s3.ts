import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';

export interface S3Server {
  endpoint: string;
  stop(): Promise<void>;
}

/** s3rver accepts only these credentials; every local S3 client must use them. */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

/** An embedded S3-compatible server. Objects live in `dataDir`, or in a temporary folder removed on stop. */
export async function startS3(options: { dataDir?: string; port?: number }): Promise<S3Server> {
  const directory = options.dataDir ?? mkdtempSync(join(tmpdir(), 'chat-s3-'));
  const server = new S3rver({ address: '127.0.0.1', port: options.port ?? 0, directory, silent: true });
  const address = await server.run();
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    stop: async () => {
      await server.close();
      if (!options.dataDir) rmSync(directory, { recursive: true, force: true });
    },
  };
}
