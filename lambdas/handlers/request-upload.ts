import { ENV } from '../../contract/environment';
import { S3UploadPresigner } from '../adapters/s3/presigned-post';
import { requestUpload } from '../core/media';
import { requireEnv, timingsFromEnv } from './wiring/config';
import { systemClock, uploadSlotStoreFromEnv } from './wiring/environment';
import { actionHandler } from './wiring/route';

const deps = {
  slots: uploadSlotStoreFromEnv(),
  presigner: new S3UploadPresigner(requireEnv(ENV.mediaBucket)),
  clock: systemClock,
  ...timingsFromEnv(),
};

export const handler = actionHandler('requestUpload', (frame, caller) => requestUpload(deps, caller, frame));
