import { describe, expect, it } from 'vitest';
import { useRuntime } from '../support/harness';
import { png, upload } from '../support/media';
import { newMessageId } from '../support/socket';

/**
 * Slots that expire within a second (a POST policy's expiry has whole seconds), and a message can
 * name a slot for a millisecond: the tests wait for time to pass, then expect a refusal.
 */
const harness = useRuntime({ timings: { uploadSlotTtlMs: 1000, uploadClaimMs: 1 } });

async function until(deadline: number): Promise<void> {
  while (Date.now() <= deadline)
    await new Promise((resolve) => setTimeout(resolve, deadline - Date.now() + 1));
}

describe('expired upload slots', () => {
  it('refuses a message naming a slot past its claim time, and the local S3 an expired POST', async () => {
    const [{ socket: alice }] = await Promise.all([
      harness.openSynced('alice', 'alice-phone'),
      harness.openSynced('bob', 'bob-phone'),
    ]);
    const file = png();
    const slot = await alice.request({
      action: 'requestUpload',
      kind: 'image',
      contentType: 'image/png',
      size: file.length,
    });
    expect(slot.type).toBe('uploadSlot');
    await until(Number(slot.expiresAt));

    const response = await upload(slot, file);
    expect(response.status).toBe(403);
    expect(await response.text()).toContain('Invalid according to Policy: Policy expired.');

    const refused = await alice.request({
      action: 'sendMessage',
      messageId: newMessageId(),
      to: 'bob',
      media: { uploadId: slot.uploadId },
    });
    expect(refused).toMatchObject({ type: 'error', code: 'UPLOAD_EXPIRED' });
    expect(await harness.storedMessages('alice:bob')).toHaveLength(0);
  });
});
