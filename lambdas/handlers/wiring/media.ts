import { ENV } from '../../../contract/environment';
import { USERS_TABLE } from '../../../contract/tables';
import { createDocumentClient } from '../../adapters/dynamodb/client';
import { DynamoUploadSlotStore } from '../../adapters/dynamodb/uploads';
import { S3MediaObjects } from '../../adapters/s3/objects';
import { S3RequestSigner } from '../../adapters/s3/signer';
import { requireEnv } from './config';

/**
 * Builders for the media parts of a handler's dependencies. They sign S3 requests without the S3
 * client, so functions that only hand out download URLs stay small; only `requestUpload` needs the
 * client (for its presigned POST).
 */
export const mediaObjectsFromEnv = () => new S3MediaObjects(new S3RequestSigner(requireEnv(ENV.mediaBucket)));

export const uploadSlotStoreFromEnv = () =>
  new DynamoUploadSlotStore(createDocumentClient(), requireEnv(USERS_TABLE.envVar));
