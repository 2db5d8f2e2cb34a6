import { describe, expect, it } from 'vitest';
import { LIMITS } from '../../contract/limits';
import { KNOWN_ACTIONS } from '../../contract/protocol/parse';
import { ACTION_RATE_CLASS, RATE_LIMITS } from '../../contract/rate-limits';
import { FUNCTIONS, type FunctionDefinition, ROUTES } from '../../contract/routes';

describe('rate limit contract', () => {
  it('names only actions the protocol knows', () => {
    expect(Object.keys(ACTION_RATE_CLASS).filter((action) => !KNOWN_ACTIONS.has(action))).toEqual([]);
  });

  it('lets every function of a limited action write its counters in the users table', () => {
    const limited = ROUTES.filter((route) => Object.hasOwn(ACTION_RATE_CLASS, route.routeKey));
    expect(limited.length).toBeGreaterThan(0);
    for (const route of limited) {
      // The counters are conditional updates of items in the users table (DynamoRateCounter).
      const definition: FunctionDefinition = FUNCTIONS[route.function];
      expect(definition.tables.users?.actions, route.routeKey).toContain('UpdateItem');
    }
  });

  it('allows a user at least what one connection may take, and one full presence frame', () => {
    for (const limit of Object.values(RATE_LIMITS))
      expect(limit.perUser).toBeGreaterThanOrEqual(limit.perConnection);
    expect(RATE_LIMITS.presence.perConnection).toBeGreaterThanOrEqual(LIMITS.maxPresenceUsers);
  });
});
