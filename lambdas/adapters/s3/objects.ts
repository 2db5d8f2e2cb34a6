import type { MediaLinks, MediaObjects, StoredMedia } from '../../core/ports';
import type { S3RequestSigner } from './signer';

/**
 * The key does not exist. S3 answers 404 only to a caller that may list the bucket, and 403 to others
 * (https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html); the functions may not list,
 * and may read every key they ask for, so a 403 means the same.
 */
const isMissing = (status: number) => status === 404 || status === 403;

/**
 * The media objects through S3's REST API: HeadObject, a ranged GetObject, CopyObject and presigned
 * GETs (https://docs.aws.amazon.com/AmazonS3/latest/API/API_Operations_Amazon_Simple_Storage_Service.html).
 */
export class S3MediaObjects implements MediaObjects, MediaLinks {
  constructor(private readonly signer: S3RequestSigner) {}

  private send(method: string, key: string, headers: Record<string, string> = {}): Promise<Response> {
    return this.signer.http.send(this.signer.request(method, key, headers));
  }

  private async fail(response: Response, what: string): Promise<never> {
    throw new Error(`S3 ${what} answered ${response.status}: ${(await response.text()).slice(0, 500)}`);
  }

  async size(key: string): Promise<number | undefined> {
    const response = await this.send('HEAD', key);
    if (isMissing(response.status)) return undefined;
    if (!response.ok) return this.fail(response, 'HeadObject');
    return Number(response.headers.get('content-length'));
  }

  async firstBytes(key: string, length: number): Promise<Uint8Array> {
    const response = await this.send('GET', key, { range: `bytes=0-${length - 1}` });
    if (!response.ok) return this.fail(response, 'GetObject');
    return new Uint8Array(await response.arrayBuffer());
  }

  async copy(from: string, to: string, contentType: string): Promise<boolean> {
    const source = `/${this.signer.bucket}/${from.split('/').map(encodeURIComponent).join('/')}`;
    const response = await this.send('PUT', to, {
      'x-amz-copy-source': source,
      'x-amz-metadata-directive': 'REPLACE',
      'content-type': contentType,
    });
    const body = await response.text();
    if (isMissing(response.status)) return false;
    // CopyObject can answer 200 and still fail: the error is then in the body.
    if (!response.ok || !body.includes('<CopyObjectResult')) {
      throw new Error(`S3 CopyObject answered ${response.status}: ${body.slice(0, 500)}`);
    }
    return true;
  }

  /**
   * The response headers are signed into the URL, so the object is always served as the type that was
   * verified, whatever a client declared on upload; every allowed type is media a browser may show inline.
   */
  downloadUrl(media: StoredMedia, expiresInSeconds: number): Promise<string> {
    const disposition = media.fileName
      ? `inline; filename*=UTF-8''${encodeURIComponent(media.fileName)}`
      : 'inline';
    const request = this.signer.request(
      'GET',
      media.key,
      {},
      { 'response-content-type': media.contentType, 'response-content-disposition': disposition },
    );
    return this.signer.presign(request, expiresInSeconds);
  }
}
