import { Duration } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { type FunctionName, SCHEDULES, type ScheduleDefinition } from '../contract/routes';
import type { ChatFunction } from './chat-function';

export interface ChatSchedulesProps {
  /** The functions the schedules run, by contract name. */
  readonly functions: Readonly<Record<FunctionName, ChatFunction>>;
  /**
   * @default SCHEDULES
   */
  readonly schedules?: readonly ScheduleDefinition[];
  /**
   * Where EventBridge puts a run it could not start, by function.
   * @default - none
   */
  readonly deadLetterQueues?: Readonly<Partial<Record<FunctionName, IQueue>>>;
}

const MINUTE_MS = 60_000;

/** One EventBridge rule per contract schedule, running its function at the given rate. */
export class ChatSchedules extends Construct {
  readonly rules: ReadonlyMap<FunctionName, Rule>;

  constructor(scope: Construct, id: string, props: ChatSchedulesProps) {
    super(scope, id);
    const rules = new Map<FunctionName, Rule>();
    for (const schedule of props.schedules ?? SCHEDULES) {
      // EventBridge rates are whole minutes; refuse rather than silently round.
      if (schedule.everyMs < MINUTE_MS || schedule.everyMs % MINUTE_MS !== 0) {
        throw new Error(
          `Schedule for ${schedule.function} runs every ${schedule.everyMs} ms; EventBridge needs whole minutes`,
        );
      }
      if (rules.has(schedule.function)) {
        throw new Error(`Function ${schedule.function} has more than one schedule`);
      }
      const rule = new Rule(
        this,
        `${schedule.function.charAt(0).toUpperCase()}${schedule.function.slice(1)}`,
        {
          description: `Runs the chat ${schedule.function} function`,
          schedule: Schedule.rate(Duration.minutes(schedule.everyMs / MINUTE_MS)),
          targets: [
            new LambdaFunction(props.functions[schedule.function], {
              // The next run comes soon anyway; a late or repeated run only adds load.
              retryAttempts: 0,
              maxEventAge: Duration.minutes(schedule.everyMs / MINUTE_MS),
              deadLetterQueue: props.deadLetterQueues?.[schedule.function],
            }),
          ],
        },
      );
      rules.set(schedule.function, rule);
    }
    this.rules = rules;
  }
}
