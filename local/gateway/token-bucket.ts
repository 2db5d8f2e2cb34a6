/**
 * API Gateway's throttling algorithm: a bucket of `burst` tokens refilled at `ratePerSecond`; each
 * request takes one, and a request that finds the bucket empty is refused.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-api-protect.html
 */
export interface TokenBucket {
  take(): boolean;
}

export function createTokenBucket(ratePerSecond: number, burst: number, now = () => Date.now()): TokenBucket {
  let tokens = burst;
  let refilledAt = now();
  return {
    take() {
      const at = now();
      tokens = Math.min(burst, tokens + ((at - refilledAt) / 1000) * ratePerSecond);
      refilledAt = at;
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    },
  };
}
