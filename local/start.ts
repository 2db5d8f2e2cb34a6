import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { LOG_LEVELS } from '../contract/environment';
import { JAVA_MIN_VERSION, javaAvailable } from './java';
import { startRuntime } from './runtime';
import { createWebServer } from './web-server';

const USAGE = `Usage: npm start -- [options]

  --port <n>          gateway port (WebSocket, @connections, HTTP); default $PORT or 3001
  --host <addr>       address to listen on; default 127.0.0.1
  --data-dir <path>   where data persists across restarts; default .data
  --memory            keep everything in memory (nothing persists)
  --dynamodb <engine> dynalite (default, pure JavaScript) or local (AWS DynamoDB Local, needs Java)
  --log-level <level> lowest level the functions log: DEBUG, INFO (default), WARN or ERROR
  --help              show this text`;

const OPTIONS = {
  port: { type: 'string' },
  host: { type: 'string' },
  'data-dir': { type: 'string' },
  memory: { type: 'boolean', default: false },
  dynamodb: { type: 'string', default: 'dynalite' },
  'log-level': { type: 'string', default: 'INFO' },
  help: { type: 'boolean', default: false },
} as const;

/**
 * `npm start --port 4405` (without `--`) hands `--port` to npm, which keeps it as its own setting
 * `npm_config_port` and starts us without it: say how to pass it instead of ignoring it.
 */
function optionsTakenByNpm(): string[] {
  return Object.keys(OPTIONS).filter(
    (name) => process.env[`npm_config_${name.replace('-', '_')}`] !== undefined,
  );
}

async function main(): Promise<void> {
  const started = performance.now();
  const taken = optionsTakenByNpm();
  if (taken.length > 0) {
    const example = taken
      .map((name) => `--${name}${OPTIONS[name as keyof typeof OPTIONS].type === 'string' ? ' <value>' : ''}`)
      .join(' ');
    throw new Error(
      `npm kept ${taken.map((name) => `--${name}`).join(', ')} for itself. Pass options after --, as in: npm start -- ${example}`,
    );
  }
  const { values } = parseArgs({ options: OPTIONS });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const port = Number(values.port ?? process.env.PORT ?? 3001);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`Invalid port ${values.port}`);
  if (values.dynamodb !== 'dynalite' && values.dynamodb !== 'local') {
    throw new Error(`--dynamodb must be dynalite or local, got ${values.dynamodb}`);
  }
  if (values.dynamodb === 'local' && !javaAvailable())
    throw new Error(`--dynamodb local needs Java ${JAVA_MIN_VERSION}+ on the PATH`);
  const logLevel = LOG_LEVELS.find((level) => level === values['log-level']?.toUpperCase());
  if (!logLevel) throw new Error(`--log-level must be one of ${LOG_LEVELS.join(', ')}`);
  const dataDir = values.memory ? undefined : resolve(values['data-dir'] ?? '.data');

  let s3Origin: string | undefined;
  let vapidPublicKey: string | undefined;
  const web = await createWebServer({
    log: (line) => console.log(line),
    mediaOrigins: () => (s3Origin ? [s3Origin] : []),
    vapidPublicKey: () => vapidPublicKey,
  });
  const runtime = await startRuntime({
    port,
    httpFallback: web.httpFallback,
    ...(values.host !== undefined && { host: values.host }),
    ...(dataDir !== undefined && { dataDir }),
    dynamodb: values.dynamodb === 'local' ? 'dynamodb-local' : 'dynalite',
    log: (line) => console.log(line),
    logLevel,
  }).catch(async (error: unknown) => {
    await web.close();
    if (error instanceof Error && 'code' in error && error.code === 'EADDRINUSE') {
      throw new Error(
        `Port ${port} is in use. Start on another one with: npm start -- --port <n> (0 picks a free one)`,
      );
    }
    throw error;
  });
  void runtime.failed.then(async (message) => {
    console.error(`\n${message}`);
    await runtime.stop().catch(() => {});
    await web.close();
    process.exit(1);
  });
  s3Origin = new URL(runtime.s3Endpoint).origin;
  vapidPublicKey = runtime.vapidPublicKey;
  const seconds = ((performance.now() - started) / 1000).toFixed(2);
  console.log(`
Serverless chat is running locally (ready in ${seconds} s).

  Web client     ${runtime.httpUrl}/
  WebSocket      ${runtime.wsUrl}?token=<token>&deviceId=<device>
  Get a token    curl '${runtime.httpUrl}/auth/token?username=alice'   (local issuer: anyone may sign in; local only)
  @connections   ${runtime.connectionsEndpoint}/@connections/<connectionId>
  DynamoDB       ${runtime.dynamoEndpoint} (${values.dynamodb})   S3 ${runtime.s3Endpoint}
  Data           ${dataDir ?? 'in memory: nothing persists'}
  Metrics        ${runtime.httpUrl}/metrics   (functions log at ${logLevel}; --log-level to change)
  Web Push       ${runtime.pushService.origin}/subscriptions   (local push service: subscribe, then read pushes)

Press Ctrl-C to stop.`);

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log(`\nMetrics of this run:\n${runtime.telemetry.report()}\n\nStopping…`);
    await runtime.stop();
    await web.close();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
