import { ENV } from '../../../contract/environment';
import { S3MediaObjects } from '../../adapters/s3/objects';
import { S3RequestSigner } from '../../adapters/s3/signer';
import { requireEnv } from './config';

/**
 * Media objects and download URLs, signed without the S3 client, so functions that only hand out
 * download URLs stay small; only `requestUpload` needs the client (for its presigned POST).
 */
export const mediaObjectsFromEnv = () => new S3MediaObjects(new S3RequestSigner(requireEnv(ENV.mediaBucket)));
