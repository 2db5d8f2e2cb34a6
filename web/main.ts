import { ChatApp } from './chat-app';
import { loadConfig, type WebConfig } from './config';
import { h } from './dom';
import { describeError } from './errors';
import { registerServiceWorker } from './push';
import { forgetSession, restoreSession, type Session } from './session';
import { signInScreen } from './sign-in';

const root = document.getElementById('app') ?? document.body;

function showSignIn(config: WebConfig, notice?: string): void {
  root.replaceChildren(signInScreen(config, (session) => showChat(config, session), notice));
}

function showChat(config: WebConfig, session: Session): void {
  const app = new ChatApp(root, config, session, (notice) => {
    forgetSession(config);
    showSignIn(config, notice);
  });
  app.run();
}

async function boot(): Promise<void> {
  registerServiceWorker();
  let config: WebConfig;
  try {
    config = await loadConfig();
  } catch (error) {
    root.replaceChildren(
      h(
        'main',
        { class: 'auth' },
        h(
          'div',
          { class: 'card' },
          h('h1', {}, 'Chat is unavailable'),
          h('p', { role: 'alert' }, error instanceof TypeError ? describeError(error) : String(error)),
        ),
      ),
    );
    return;
  }
  const session = restoreSession(config);
  if (session) showChat(config, session);
  else showSignIn(config);
}

void boot();
