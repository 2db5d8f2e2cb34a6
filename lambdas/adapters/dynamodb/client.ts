import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AwsClientConfig } from '../aws-config';

/**
 * The SDK reads endpoints from AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE>, so the same code talks
 * to AWS, LocalStack or the embedded local servers; nothing here names an endpoint.
 */
export function createDocumentClient(config: AwsClientConfig): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient(config), {
    marshallOptions: { removeUndefinedValues: true },
  });
}

/**
 * Awaits a conditional write (or several at once): its result, or undefined when a condition did not
 * hold. Any other failure is thrown. Callers branch on the answer instead of each catching the error.
 */
export async function unlessConditionFails<T>(write: Promise<T>): Promise<T | undefined> {
  try {
    return await write;
  } catch (error) {
    if (error instanceof Error && error.name === 'ConditionalCheckFailedException') return undefined;
    throw error;
  }
}
