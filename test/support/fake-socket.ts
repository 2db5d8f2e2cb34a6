import type { SocketLike } from '../../client/chat-client';
import type { ClientFrame, ServerEvent } from '../../contract/protocol/frames';

type Listener = (event: never) => void;

/** An in-memory socket: the test plays the server. */
export class FakeSocket implements SocketLike {
  static readonly all: FakeSocket[] = [];
  readyState = 0;
  readonly sent: ClientFrame[] = [];
  private readonly listeners = new Map<string, Listener[]>();

  constructor(readonly url: string) {
    FakeSocket.all.push(this);
  }

  static latest(): FakeSocket {
    const socket = FakeSocket.all.at(-1);
    if (!socket) throw new Error('no socket was opened');
    return socket;
  }

  addEventListener(type: string, listener: Listener): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }

  send(data: string): void {
    this.sent.push(JSON.parse(data) as ClientFrame);
  }

  close(code = 1000, reason = ''): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.fire('close', { code, reason });
  }

  open(): void {
    this.readyState = 1;
    this.fire('open', {});
  }

  push(event: ServerEvent): void {
    this.fire('message', { data: JSON.stringify(event) });
  }

  /** The frames sent with this action, oldest first. */
  frames<A extends ClientFrame['action']>(action: A): Extract<ClientFrame, { action: A }>[] {
    return this.sent.filter((frame): frame is Extract<ClientFrame, { action: A }> => frame.action === action);
  }

  /** Answers the last frame sent with this action. */
  reply(action: ClientFrame['action'], build: (requestId: string | undefined) => ServerEvent): void {
    const frame = this.frames(action).at(-1);
    if (!frame) throw new Error(`no ${action} frame was sent`);
    this.push(build(frame.requestId));
  }

  private fire(type: string, event: object): void {
    for (const listener of this.listeners.get(type) ?? []) (listener as (event: object) => void)(event);
  }
}
