import type { Counters } from './counters';

/**
 * us-east-1 list prices, without free tiers or volume discounts, from AWS's pricing pages:
 * https://aws.amazon.com/api-gateway/pricing/ (WebSocket messages and connection minutes),
 * https://aws.amazon.com/lambda/pricing/ (requests, arm64 GB-seconds),
 * https://aws.amazon.com/dynamodb/pricing/on-demand/ (write and read request units),
 * https://aws.amazon.com/s3/pricing/ (S3 Standard: PUT, COPY, POST and LIST requests; GET, HEAD and
 * all other requests; storage for the first 50 TB a month; transfer out to the internet, first 10 TB).
 */
export const PRICES = {
  apiGatewayMessage: 1.0 / 1e6,
  apiGatewayConnectionMinute: 0.25 / 1e6,
  lambdaRequest: 0.2 / 1e6,
  lambdaGbSecondArm: 0.0000133334,
  dynamoWriteUnit: 0.625 / 1e6,
  dynamoReadUnit: 0.125 / 1e6,
  s3Put: 0.005 / 1000,
  s3Get: 0.0004 / 1000,
  s3StorageGbMonth: 0.023,
  s3TransferOutGb: 0.09,
} as const;

/** S3 operations billed at the PUT, COPY, POST, LIST rate; every other request at the GET rate. */
const S3_PUT_CLASS = /^(PostObject|PutObject|CopyObject|ListObjects)/;

/** The memory ChatFunction gives every handler (lib/chat-function.ts, memorySize default). */
export const LAMBDA_MEMORY_MB = 256;

/** What one unit of a flow (a message, a receipt, a heartbeat, a session) uses on AWS. */
export interface Usage {
  dynamo: Record<string, { calls: number; readUnits: number; writeUnits: number; conditionFailures: number }>;
  lambda: Record<string, { invocations: number; billedMs: number }>;
  apiMessagesIn: number;
  apiMessagesOut: number;
  /** @connections POSTs (they are part of apiMessagesOut). */
  posts: number;
  s3: { puts: number; gets: number; gbStored: number; gbOut: number };
  connectionMinutes: number;
  /**
   * Sequential DynamoDB round trips of all the flow's invocations, and of those up to each
   * invocation's last @connections post (bench/round-trips.ts).
   */
  roundTrips: { total: number; beforeLastPost: number };
}

export interface Dollars {
  apiGateway: number;
  lambdaRequests: number;
  lambdaCompute: number;
  dynamoReads: number;
  dynamoWrites: number;
  s3: number;
  connectionMinutes: number;
  total: number;
}

export function emptyUsage(): Usage {
  return {
    dynamo: {},
    lambda: {},
    apiMessagesIn: 0,
    apiMessagesOut: 0,
    posts: 0,
    s3: { puts: 0, gets: 0, gbStored: 0, gbOut: 0 },
    connectionMinutes: 0,
    roundTrips: { total: 0, beforeLastPost: 0 },
  };
}

/** Counters of a flow divided by how many units (messages, receipts, …) it carried. */
export function usageOf(counters: Counters, units: number): Usage {
  const usage = emptyUsage();
  for (const [key, count] of Object.entries(counters.dynamo)) {
    usage.dynamo[key] = {
      calls: count.calls / units,
      readUnits: count.readUnits / units,
      writeUnits: count.writeUnits / units,
      conditionFailures: count.conditionFailures / units,
    };
  }
  for (const [name, count] of Object.entries(counters.lambda)) {
    usage.lambda[name] = { invocations: count.invocations / units, billedMs: count.billedMs / units };
  }
  usage.apiMessagesIn = counters.framesIn.billedMessages / units;
  usage.apiMessagesOut = counters.framesOut.billedMessages / units;
  usage.posts = (counters.connections['POST 200'] ?? 0) / units;
  for (const [operation, count] of Object.entries(counters.s3)) {
    if (S3_PUT_CLASS.test(operation)) usage.s3.puts += count.requests / units;
    else usage.s3.gets += count.requests / units;
    // Presigned GETs are clients' downloads: transfer out to the internet. The functions' own reads
    // stay inside the region, where S3 charges no transfer.
    if (operation === 'GetObject presigned') usage.s3.gbOut += count.bytesOut / 1024 ** 3 / units;
  }
  for (const count of Object.values(counters.roundTrips)) {
    usage.roundTrips.total += count.roundTrips / units;
    usage.roundTrips.beforeLastPost += count.beforeLastPost / units;
  }
  return usage;
}

/** Adds usages, each scaled by its weight (a composite flow: a message plus its receipts). */
export function combine(parts: readonly { usage: Usage; weight: number }[]): Usage {
  const total = emptyUsage();
  for (const { usage, weight } of parts) {
    for (const [key, count] of Object.entries(usage.dynamo)) {
      const into = total.dynamo[key] ?? { calls: 0, readUnits: 0, writeUnits: 0, conditionFailures: 0 };
      total.dynamo[key] = into;
      into.calls += count.calls * weight;
      into.readUnits += count.readUnits * weight;
      into.writeUnits += count.writeUnits * weight;
      into.conditionFailures += count.conditionFailures * weight;
    }
    for (const [name, count] of Object.entries(usage.lambda)) {
      const into = total.lambda[name] ?? { invocations: 0, billedMs: 0 };
      total.lambda[name] = into;
      into.invocations += count.invocations * weight;
      into.billedMs += count.billedMs * weight;
    }
    total.apiMessagesIn += usage.apiMessagesIn * weight;
    total.apiMessagesOut += usage.apiMessagesOut * weight;
    total.posts += usage.posts * weight;
    total.s3.puts += usage.s3.puts * weight;
    total.s3.gets += usage.s3.gets * weight;
    total.s3.gbStored += usage.s3.gbStored * weight;
    total.s3.gbOut += usage.s3.gbOut * weight;
    total.connectionMinutes += usage.connectionMinutes * weight;
    total.roundTrips.total += usage.roundTrips.total * weight;
    total.roundTrips.beforeLastPost += usage.roundTrips.beforeLastPost * weight;
  }
  return total;
}

export function totals(usage: Usage) {
  const dynamo = Object.values(usage.dynamo);
  const lambda = Object.values(usage.lambda);
  return {
    dynamoCalls: dynamo.reduce((sum, count) => sum + count.calls, 0),
    readUnits: dynamo.reduce((sum, count) => sum + count.readUnits, 0),
    writeUnits: dynamo.reduce((sum, count) => sum + count.writeUnits, 0),
    invocations: lambda.reduce((sum, count) => sum + count.invocations, 0),
    billedMs: lambda.reduce((sum, count) => sum + count.billedMs, 0),
  };
}

export function price(usage: Usage): Dollars {
  const sums = totals(usage);
  const dollars = {
    apiGateway: (usage.apiMessagesIn + usage.apiMessagesOut) * PRICES.apiGatewayMessage,
    lambdaRequests: sums.invocations * PRICES.lambdaRequest,
    lambdaCompute: (sums.billedMs / 1000) * (LAMBDA_MEMORY_MB / 1024) * PRICES.lambdaGbSecondArm,
    dynamoReads: sums.readUnits * PRICES.dynamoReadUnit,
    dynamoWrites: sums.writeUnits * PRICES.dynamoWriteUnit,
    s3:
      usage.s3.puts * PRICES.s3Put +
      usage.s3.gets * PRICES.s3Get +
      usage.s3.gbStored * PRICES.s3StorageGbMonth +
      usage.s3.gbOut * PRICES.s3TransferOutGb,
    connectionMinutes: usage.connectionMinutes * PRICES.apiGatewayConnectionMinute,
  };
  return { ...dollars, total: Object.values(dollars).reduce((sum, value) => sum + value, 0) };
}
