import { useEffect, useRef, useState } from 'react';
import { FitAddon } from '@xterm/addon-fit';
import { Terminal } from '@xterm/xterm';
import '@xterm/xterm/css/xterm.css';
import { ApiError, request } from '../api/api-client.js';
import { graphql } from '../gql/index.js';
import { connectConsole, type ConsoleConnection } from './console-socket.js';
import './serial-console.css';

const OpenConsole = graphql(`mutation OpenConsole($instanceId: ID!) { openConsole(instanceId: $instanceId, kind: SERIAL) { url expiresAt } }`);

type State = { is: 'connecting' } | { is: 'open' } | { is: 'closed'; message: string };

/**
 * An instance's serial console in xterm.js (this module and xterm load only when the console tab
 * is opened): a single-use URL from openConsole, then the socket, until the page leaves or the
 * gateway closes it (the instance stopped, idle, the session ended), which it says in words.
 */
export default function SerialConsole({ instanceId }: { instanceId: string }) {
  const element = useRef<HTMLDivElement>(null);
  const [state, setState] = useState<State>({ is: 'connecting' });
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    const terminal = new Terminal({ convertEol: false, cursorBlink: true, fontSize: 14, scrollback: 5000, screenReaderMode: true });
    const fit = new FitAddon();
    terminal.loadAddon(fit);
    terminal.open(element.current!);
    fit.fit();
    const resize = new ResizeObserver(() => fit.fit());
    resize.observe(element.current!);
    let connection: ConsoleConnection | undefined;
    let left = false;
    setState({ is: 'connecting' });
    request(OpenConsole, { instanceId }).then(
      ({ openConsole }) => {
        if (left) return;
        connection = connectConsole(openConsole.url, {
          onOpen: () => {
            setState({ is: 'open' });
            terminal.focus();
          },
          onOutput: (bytes) => terminal.write(bytes),
          onClose: (message) => setState({ is: 'closed', message }),
        });
      },
      (error: unknown) => !left && setState({ is: 'closed', message: error instanceof ApiError ? error.message : String(error) }),
    );
    const typing = terminal.onData((text) => connection?.type(text));
    return () => {
      left = true;
      typing.dispose();
      resize.disconnect();
      connection?.close();
      terminal.dispose();
    };
  }, [instanceId, attempt]);

  return (
    <div className="serial-console">
      <p role="status" className="muted">
        {state.is === 'connecting' ? 'Connecting to the serial console…' : state.is === 'open' ? 'Connected: what you type goes to the instance.' : null}
      </p>
      {state.is === 'closed' ? (
        <div className="banner error" role="alert">
          <p>{state.message}</p>
          <button type="button" className="secondary" onClick={() => setAttempt((n) => n + 1)}>Open the console again</button>
        </div>
      ) : null}
      <div className="terminal" ref={element} aria-label="Serial console" role="region" />
    </div>
  );
}
