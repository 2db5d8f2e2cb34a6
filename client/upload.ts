import { ChatClientError } from './errors';
import { cancelled, type Uploader, type UploadSlot } from './media';

/**
 * The body of a presigned POST (docs/protocol.md, "Upload"): every field of the slot as given, in its
 * order, then the file as the last field, `file`. S3 ignores the fields that follow the file.
 */
export function uploadForm(slot: UploadSlot, file: Blob, fileName?: string): FormData {
  const form = new FormData();
  for (const [name, value] of Object.entries(slot.fields)) form.append(name, value);
  form.append('file', file, fileName ?? 'file');
  return form;
}

/**
 * Why an upload failed, from S3's answer: its status and the `<Code>` of its XML error document
 * (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html), e.g. "AccessDenied" for an
 * expired policy or "EntityTooLarge" for a file over the slot's `content-length-range`.
 */
export function uploadError(status: number, body: string): ChatClientError {
  if (status === 0) return new ChatClientError('UPLOAD_FAILED', 'The upload could not reach the server');
  const code = /<Code>([^<]{1,100})<\/Code>/.exec(body)?.[1];
  return new ChatClientError(
    'UPLOAD_FAILED',
    `The upload was refused (HTTP ${status}${code ? `, ${code}` : ''})`,
  );
}

/**
 * Uploads with `fetch`: works in Node (tests, the benchmark) and in browsers, but reports no progress
 * before the end, because fetch cannot observe a request body being sent.
 */
export const fetchUploader: Uploader = async (slot, file, { fileName, signal }) => {
  let response: Response;
  try {
    response = await fetch(slot.url, { method: 'POST', body: uploadForm(slot, file, fileName), signal });
  } catch (error) {
    if (signal.aborted) throw cancelled();
    throw uploadError(0, error instanceof Error ? error.message : '');
  }
  const body = await response.text();
  if (!response.ok) throw uploadError(response.status, body);
};

/** Uploads with XMLHttpRequest, which reports progress while the body is sent: for browsers. */
export function xhrUploader(Xhr: new () => XMLHttpRequest): Uploader {
  return (slot, file, { fileName, signal, onProgress }) =>
    new Promise<void>((resolve, reject) => {
      if (signal.aborted) {
        reject(cancelled());
        return;
      }
      const xhr = new Xhr();
      const stop = () => xhr.abort();
      signal.addEventListener('abort', stop, { once: true });
      const settle = (error?: ChatClientError) => {
        signal.removeEventListener('abort', stop);
        if (error) reject(error);
        else resolve();
      };
      xhr.upload.onprogress = (event) =>
        onProgress({ loaded: event.loaded, total: event.total || file.size });
      xhr.onload = () =>
        settle(xhr.status >= 200 && xhr.status < 300 ? undefined : uploadError(xhr.status, xhr.responseText));
      xhr.onerror = () => settle(uploadError(0, ''));
      xhr.onabort = () => settle(cancelled());
      xhr.open('POST', slot.url);
      xhr.send(uploadForm(slot, file, fileName));
    });
}
