import { parseArgs } from 'node:util';
import type { DynamoEngine } from '../local/dynamodb';

export type SystemName = 'chat' | 'relay' | 'persist';
export const SYSTEMS: readonly SystemName[] = ['chat', 'relay', 'persist'];

export type Phase = 'latency' | 'max' | 'cost' | 'cold' | 'start';
export const PHASES: readonly Phase[] = ['latency', 'max', 'cost', 'cold', 'start'];

export interface BenchOptions {
  users: number;
  /** Messages per second, all users together. */
  rate: number;
  durationSeconds: number;
  /** Sent at the same rate before the measured window, to warm the JIT and the connection pools. */
  warmupSeconds: number;
  /** Characters of text per message. */
  size: number;
  systems: SystemName[];
  phases: Phase[];
  /** Ramp of the max-throughput mode; a fixed rate replaces the ramp when set. */
  max: {
    startRate: number;
    factor: number;
    refine: number;
    stepSeconds: number;
    p99LimitMs: number;
    capRate: number;
    fixedRate: number | undefined;
  };
  /** Runs of each bundle's module load in the cold-start phase. */
  loadRuns: number;
  /** Send/receipt round trips per flow in the cost phase. */
  costSamples: number;
  dynamodb: DynamoEngine;
  outDir: string;
  /** auto: a redrawn bar on a terminal, plain lines otherwise. */
  progress: 'auto' | 'plain' | 'off';
  /** Each system's server process writes a V8 CPU profile to the output folder. */
  cpuProfile: boolean;
}

export const USAGE = `Usage: npm run bench -- [options]

Drives the local runtime (in its own process) with simulated users over real WebSockets, and the
same load through two floors: an in-memory WebSocket relay and the same relay with one DynamoDB
PutItem per message. Writes a table to stdout and JSON + SVG to the output folder.

Load
  --users <n>          users, paired into 1:1 conversations (even number)     default 200
  --rate <n>           messages per second, all users together               default 100
  --duration <s>       measured seconds per system                           default 20
  --warmup <s>         seconds at the same rate before measuring             default 2
  --size <n>           characters of text per message                        default 100
  --systems <list>     any of chat,relay,persist                             default all three

Phases (default all): --phases latency,max,cost,cold,start
  latency              the load above through each system
  max                  max sustained msgs/s of each system: steps of --max-step seconds, the rate
                       multiplied by --max-factor from --max-start until a step fails, then
                       --max-refine bisection steps between the last pass and the first fail.
                       A step passes when p99 send-to-deliver is at most --max-p99 ms, at least
                       95% of the offered rate is delivered within the step, and nothing is lost
                       or duplicated. --max-rate <n> runs one fixed rate instead of the ramp
  cost                 AWS calls per flow, counted at the servers, and $ per million messages
  cold                 each Lambda bundle's size and module-load time
  start                how long \`npm start\` takes to be ready

  --max-start <n>      first rate of the ramp                                default 100
  --max-factor <x>     rate multiplier of the coarse ramp                    default 2
  --max-refine <n>     bisection steps after the first failure               default 3
  --max-step <s>       seconds per step                                      default 5
  --max-p99 <ms>       p99 limit of a sustained step                         default 250
  --max-cap <n>        highest rate tried                                    default 16000
  --max-rate <n>       one fixed rate instead of the ramp
  --cost-samples <n>   round trips per flow in the cost phase                default 50
  --load-runs <n>      fresh processes per bundle for its load time          default 9

Other
  --dynamodb <engine>  dynalite (default) or local (DynamoDB Local, needs Java)
  --out <dir>          where the JSON and SVG go                             default bench-results
  --cpu-prof           each server process writes its CPU profiles (.cpuprofile, one per thread)
                       to <system>-cpu/ in the output folder, for Chrome DevTools
  --plain              progress as plain lines even on a terminal
  --quiet              no progress output
  --help               this text

Example: npm run bench -- --users 200 --rate 100 --duration 20 --size 100`;

export class UsageError extends Error {}

function positive(name: string, raw: string | undefined, fallback: number, integer = true): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new UsageError(`--${name} must be a positive ${integer ? 'integer' : 'number'}, got ${raw}`);
  }
  return value;
}

function listOf<T extends string>(name: string, raw: string | undefined, allowed: readonly T[]): T[] {
  if (raw === undefined) return [...allowed];
  const items = raw.split(',').map((item) => item.trim());
  const unknown = items.filter((item) => !(allowed as readonly string[]).includes(item));
  if (unknown.length > 0)
    throw new UsageError(`--${name}: unknown ${unknown.join(', ')}; use ${allowed.join(',')}`);
  return allowed.filter((item) => items.includes(item));
}

/** Parses the command line; undefined when --help was asked for. */
export function parseOptions(argv: readonly string[]): BenchOptions | undefined {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      users: { type: 'string' },
      rate: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      size: { type: 'string' },
      systems: { type: 'string' },
      phases: { type: 'string' },
      'max-start': { type: 'string' },
      'max-factor': { type: 'string' },
      'max-refine': { type: 'string' },
      'max-cap': { type: 'string' },
      'load-runs': { type: 'string' },
      'max-step': { type: 'string' },
      'max-p99': { type: 'string' },
      'max-rate': { type: 'string' },
      'cost-samples': { type: 'string' },
      dynamodb: { type: 'string' },
      out: { type: 'string' },
      plain: { type: 'boolean', default: false },
      'cpu-prof': { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) return undefined;

  const users = positive('users', values.users, 200);
  if (users < 2 || users % 2 !== 0) throw new UsageError('--users must be an even number, at least 2');
  const size = positive('size', values.size, 100);
  if (size > 4000) throw new UsageError('--size is at most 4000 (the protocol limit of a text)');
  const factor = positive('max-factor', values['max-factor'], 2, false);
  if (factor <= 1) throw new UsageError('--max-factor must be above 1');
  const engine = values.dynamodb ?? 'dynalite';
  if (engine !== 'dynalite' && engine !== 'local')
    throw new UsageError('--dynamodb must be dynalite or local');
  const warmup = values.warmup === '0' ? 0 : positive('warmup', values.warmup, 2, false);

  return {
    users,
    rate: positive('rate', values.rate, 100, false),
    durationSeconds: positive('duration', values.duration, 20, false),
    warmupSeconds: warmup,
    size,
    systems: listOf('systems', values.systems, SYSTEMS),
    phases: listOf('phases', values.phases, PHASES),
    max: {
      startRate: positive('max-start', values['max-start'], 100, false),
      factor,
      refine: values['max-refine'] === '0' ? 0 : positive('max-refine', values['max-refine'], 3),
      capRate: positive('max-cap', values['max-cap'], 16000, false),
      stepSeconds: positive('max-step', values['max-step'], 5, false),
      p99LimitMs: positive('max-p99', values['max-p99'], 250, false),
      fixedRate:
        values['max-rate'] === undefined ? undefined : positive('max-rate', values['max-rate'], 0, false),
    },
    costSamples: positive('cost-samples', values['cost-samples'], 50),
    loadRuns: positive('load-runs', values['load-runs'], 9),
    dynamodb: engine === 'local' ? 'dynamodb-local' : 'dynalite',
    outDir: values.out ?? 'bench-results',
    progress: values.quiet ? 'off' : values.plain ? 'plain' : 'auto',
    cpuProfile: values['cpu-prof'],
  };
}
