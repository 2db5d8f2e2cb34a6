import { ChatClientError, type ClientErrorCode } from '../client/errors';
import { LIMITS } from '../contract/limits';
import { CognitoError } from './cognito';
import { LocalIssuerError, SignInRequired } from './session';

/** One sentence for people for every error code of docs/protocol.md, and the client's own. */
export const ERROR_MESSAGES: Record<ClientErrorCode, string> = {
  BAD_JSON: 'The app sent something the server could not read. Reload the page and try again.',
  UNKNOWN_ACTION: 'The server does not support this yet; it may be running an older version.',
  INVALID_FRAME: 'The server refused a request it found malformed. Reload the page and try again.',
  TEXT_TOO_LONG: `That message is too long: at most ${LIMITS.maxTextLength.toLocaleString()} characters.`,
  UNKNOWN_RECIPIENT:
    'There is no user with that name. They have to sign in once before you can write to them.',
  SELF_SEND: 'You cannot send messages to yourself.',
  BLOCKED: 'You cannot message this person: one of you blocked the other.',
  MESSAGE_ID_REUSED: 'This message clashed with an earlier one and was not sent. Please write it again.',
  NOT_A_PARTICIPANT: 'This conversation is not one of yours.',
  UNKNOWN_CONVERSATION: 'This conversation has no messages yet.',
  RECEIPT_AHEAD: 'Read status could not be updated; it will catch up by itself.',
  BAD_CURSOR: 'The conversation list changed while loading. Reload to see it again.',
  MEDIA_TYPE_NOT_ALLOWED: 'This kind of file cannot be sent. Photos, voice notes, audio and videos can.',
  MEDIA_TOO_LARGE: 'This file is too large to send.',
  UPLOAD_NOT_FOUND: 'The file was not uploaded. Try sending it again.',
  UPLOAD_EXPIRED: 'The upload took too long. Try sending the file again.',
  UPLOAD_USED: 'This upload was already sent. Try sending the file again.',
  UPLOAD_INVALID: 'The file is not what it claims to be, or did not arrive whole. It was not sent.',
  NO_MEDIA: 'This message has no file to show.',
  RATE_LIMITED: 'You are going too fast. Wait a moment, then try again.',
  TOKEN_EXPIRED: 'Your sign-in expired; reconnecting with a fresh one.',
  PUSH_SERVICE_NOT_ALLOWED: 'Notifications are not available with this browser.',
  BUSY: 'This conversation is busy right now. Your message will be sent again shortly.',
  INTERNAL: 'Something went wrong on the server. Try again in a moment.',
  TIMEOUT: 'The server is taking too long to answer. Check your connection.',
  DISCONNECTED: 'You are not connected right now. This will work again once the connection is back.',
  CLOSED: 'You were signed out.',
  UPLOAD_FAILED: 'The file could not be uploaded. Check your connection and try again.',
  CANCELLED: 'You cancelled sending this file.',
};

const COGNITO_MESSAGES: Record<string, string> = {
  NotAuthorizedException: 'Wrong username or password.',
  UserNotFoundException: 'Wrong username or password.',
  UsernameExistsException: 'That username is taken. Choose another one.',
  InvalidPasswordException: 'That password is too weak.',
  InvalidParameterException: 'Some of these details are not valid.',
  CodeMismatchException: 'That code is not right. Check the email and try again.',
  ExpiredCodeException: 'That code has expired. Sign up again to get a new one.',
  LimitExceededException: 'Too many attempts. Wait a few minutes, then try again.',
  TooManyRequestsException: 'Too many attempts. Wait a few minutes, then try again.',
  TooManyFailedAttemptsException: 'Too many attempts. Wait a few minutes, then try again.',
  ChallengeRequired: 'This account needs a step this app does not support yet (such as a new password).',
};

/** A clear message for anything the app can fail with. */
export function describeError(error: unknown): string {
  if (error instanceof ChatClientError) return ERROR_MESSAGES[error.code];
  if (error instanceof SignInRequired) return error.message;
  if (error instanceof LocalIssuerError) return error.message;
  if (error instanceof CognitoError) {
    const known = COGNITO_MESSAGES[error.type];
    // Cognito's own text names the password rules that were not met.
    if (error.type === 'InvalidPasswordException' || error.type === 'InvalidParameterException') {
      return `${known} ${error.message.replace(/^.*?: /, '')}`;
    }
    return known ?? `Sign-in failed: ${error.message}`;
  }
  // fetch rejects with a TypeError when the network or the server cannot be reached.
  if (error instanceof TypeError) return 'The server cannot be reached. Check your connection and try again.';
  return 'Something went wrong. Try again in a moment.';
}

/** What the connection banner says while the connection is down. */
export function connectionMessage(
  state: 'connecting' | 'reconnecting' | 'offline',
  retryInSeconds?: number,
): string {
  if (state === 'offline')
    return 'You are offline. Messages you write will be sent when the connection is back.';
  if (state === 'connecting') return 'Connecting…';
  if (retryInSeconds !== undefined && retryInSeconds > 0) {
    return `Connection lost. Reconnecting in ${retryInSeconds} s…`;
  }
  return 'Connection lost. Reconnecting…';
}
