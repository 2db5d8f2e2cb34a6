import { USER_ID_PATTERN } from '../client/ids';
import { CognitoError, confirmSignUp, signUp } from './cognito';
import type { WebConfig } from './config';
import { h } from './dom';
import { describeError } from './errors';
import { type Session, signInLocally, signInWithCognito } from './session';

type CognitoConfig = Extract<WebConfig, { mode: 'cognito' }>;

/** A problem with what was typed, shown as is. */
class FormProblem extends Error {}

interface Field {
  name: string;
  label: string;
  type?: 'text' | 'password' | 'email';
  autocomplete: string;
  hint?: string;
  inputmode?: 'numeric';
}

const USERNAME: Field = {
  name: 'username',
  label: 'Username',
  autocomplete: 'username',
  hint: 'Lower-case letters, digits, “.”, “_” and “-”; up to 32.',
};

/** The username as the server will see it, or a message saying what is wrong with it. */
function checkUsername(raw: string): { userId: string } | { problem: string } {
  const userId = raw.trim().toLowerCase();
  if (userId === '') return { problem: 'Enter a username.' };
  if (!USER_ID_PATTERN.test(userId)) {
    return {
      problem: 'A username has 1 to 32 letters, digits, “.”, “_” or “-”, and starts with a letter or digit.',
    };
  }
  return { userId };
}

/**
 * One form of the sign-in card: labelled fields, an error line read out when it changes, and a
 * submit button that shows progress. `submit` gets the field values; what it throws is shown.
 */
function form(options: {
  title: string;
  intro?: string;
  fields: Field[];
  action: string;
  busyAction: string;
  submit: (values: Record<string, string>) => Promise<void>;
  footer?: HTMLElement[];
}): HTMLElement {
  const error = h('p', { class: 'form-error', id: 'auth-error', role: 'alert' });
  const button = h('button', { type: 'submit', class: 'primary' }, options.action);
  const inputs = options.fields.map((field) => {
    const hintId = field.hint ? `${field.name}-hint` : undefined;
    const input = h('input', {
      id: field.name,
      name: field.name,
      type: field.type ?? 'text',
      autocomplete: field.autocomplete,
      autocapitalize: 'none',
      spellcheck: 'false',
      required: true,
      inputmode: field.inputmode,
      'aria-describedby': [hintId, 'auth-error'].filter(Boolean).join(' '),
    });
    return {
      input,
      element: h(
        'div',
        { class: 'field' },
        h('label', { for: field.name }, field.label),
        input,
        hintId && h('p', { class: 'hint', id: hintId }, field.hint),
      ),
    };
  });
  const element = h(
    'form',
    { class: 'card', novalidate: true, 'aria-labelledby': 'auth-title' },
    h('h1', { id: 'auth-title' }, options.title),
    options.intro && h('p', { class: 'lead' }, options.intro),
    ...inputs.map((field) => field.element),
    error,
    button,
    ...(options.footer ?? []),
  );
  element.addEventListener('submit', (event) => {
    event.preventDefault();
    const values = Object.fromEntries(inputs.map(({ input }) => [input.name, input.value]));
    button.disabled = true;
    button.textContent = options.busyAction;
    error.textContent = '';
    options
      .submit(values)
      .catch((failure: unknown) => {
        error.textContent = failure instanceof FormProblem ? failure.message : describeError(failure);
        inputs[0]?.input.focus();
      })
      .finally(() => {
        button.disabled = false;
        button.textContent = options.action;
      });
  });
  return element;
}

function validUsername(raw: string | undefined): string {
  const checked = checkUsername(raw ?? '');
  if ('problem' in checked) throw new FormProblem(checked.problem);
  return checked.userId;
}

function localForm(
  config: Extract<WebConfig, { mode: 'local' }>,
  signedIn: (session: Session) => void,
): HTMLElement {
  return form({
    title: 'Sign in',
    intro: 'Choose any username to start chatting.',
    fields: [USERNAME],
    action: 'Sign in',
    busyAction: 'Signing in…',
    submit: async ({ username }) => signedIn(await signInLocally(config, validUsername(username))),
    footer: [
      h(
        'p',
        { class: 'note' },
        h('strong', {}, 'Local development only. '),
        'There is no password: the local token issuer signs anyone in as anyone. It runs only on this machine.',
      ),
    ],
  });
}

function cognitoForms(
  config: CognitoConfig,
  signedIn: (session: Session) => void,
  show: (form: HTMLElement) => void,
) {
  const link = (text: string, go: () => void) => {
    const button = h('button', { type: 'button', class: 'link' }, text);
    button.addEventListener('click', go);
    return button;
  };
  const password: Field = {
    name: 'password',
    label: 'Password',
    type: 'password',
    autocomplete: 'current-password',
  };

  const signInForm = (intro?: string): HTMLElement =>
    form({
      title: 'Sign in',
      ...(intro && { intro }),
      fields: [USERNAME, password],
      action: 'Sign in',
      busyAction: 'Signing in…',
      submit: async ({ username, password: secret = '' }) => {
        const userId = validUsername(username);
        try {
          signedIn(await signInWithCognito(config, userId, secret));
        } catch (error) {
          if (error instanceof CognitoError && error.type === 'UserNotConfirmedException') {
            show(confirmForm(userId, secret, 'your email address'));
            return;
          }
          throw error;
        }
      },
      footer: [
        h(
          'p',
          { class: 'switch' },
          'New here? ',
          link('Create an account', () => show(signUpForm())),
        ),
      ],
    });

  const signUpForm = (): HTMLElement =>
    form({
      title: 'Create an account',
      fields: [
        USERNAME,
        {
          name: 'email',
          label: 'Email',
          type: 'email',
          autocomplete: 'email',
          hint: 'We send a confirmation code there.',
        },
        { ...password, autocomplete: 'new-password' },
      ],
      action: 'Create account',
      busyAction: 'Creating…',
      submit: async ({ username, email = '', password: secret = '' }) => {
        const userId = validUsername(username);
        if (!email.includes('@')) throw new FormProblem('Enter your email address.');
        const destination = await signUp(config, userId, secret, email.trim());
        show(confirmForm(userId, secret, destination));
      },
      footer: [
        h(
          'p',
          { class: 'switch' },
          'Have an account? ',
          link('Sign in', () => show(signInForm())),
        ),
      ],
    });

  const confirmForm = (userId: string, secret: string, destination: string): HTMLElement =>
    form({
      title: 'Confirm your account',
      intro: `Enter the code we sent to ${destination}.`,
      fields: [
        { name: 'code', label: 'Confirmation code', autocomplete: 'one-time-code', inputmode: 'numeric' },
      ],
      action: 'Confirm',
      busyAction: 'Confirming…',
      submit: async ({ code = '' }) => {
        await confirmSignUp(config, userId, code.trim());
        // The password was typed a moment ago: sign in with it rather than asking again.
        signedIn(await signInWithCognito(config, userId, secret));
      },
      footer: [
        h(
          'p',
          { class: 'switch' },
          link('Back to sign in', () => show(signInForm())),
        ),
      ],
    });

  return signInForm;
}

/** The sign-in screen: the local issuer locally, Cognito when deployed. `notice` explains why it shows. */
export function signInScreen(
  config: WebConfig,
  signedIn: (session: Session) => void,
  notice?: string,
): HTMLElement {
  const main = h('main', { class: 'auth' });
  const show = (card: HTMLElement) => {
    main.replaceChildren(
      h('div', { class: 'brand', 'aria-hidden': 'true' }, 'Chat'),
      notice ? h('p', { class: 'notice', role: 'status' }, notice) : '',
      card,
    );
    card.querySelector('input')?.focus();
  };
  show(config.mode === 'local' ? localForm(config, signedIn) : cognitoForms(config, signedIn, show)());
  return main;
}
