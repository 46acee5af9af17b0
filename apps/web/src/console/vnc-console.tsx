import { useEffect, useRef, useState } from 'react';
import RFB from '@novnc/novnc';
import { ApiError, request } from '../api/api-client.js';
import { graphql } from '../gql/index.js';
import { consoleClosedMessage } from './console-socket.js';
import './vnc-console.css';

const OpenVncConsole = graphql(`mutation OpenVncConsole($instanceId: ID!) { openConsole(instanceId: $instanceId, kind: VNC) { url expiresAt } }`);

type State = { is: 'connecting' } | { is: 'open'; width: number; height: number } | { is: 'closed'; message: string };

/**
 * A virtual machine's display in noVNC (this module and noVNC load only when the display is chosen).
 * The gateway's socket carries the display's RFB bytes as they are, in binary frames, and keeps the
 * flow control to itself, so noVNC speaks RFB over it directly: the page makes the WebSocket only to
 * read the gateway's close code and reason, which noVNC does not pass on, and says them in words.
 */
export default function VncConsole({ instanceId, name }: { instanceId: string; name: string }) {
  const screen = useRef<HTMLDivElement>(null);
  const [state, setState] = useState<State>({ is: 'connecting' });
  const [attempt, setAttempt] = useState(0);
  const rfb = useRef<RFB | null>(null);

  useEffect(() => {
    let left = false;
    let socket: WebSocket | undefined;
    setState({ is: 'connecting' });
    request(OpenVncConsole, { instanceId }).then(
      ({ openConsole }) => {
        if (left) return;
        socket = new WebSocket(openConsole.url);
        socket.addEventListener('close', (event) => !left && setState({ is: 'closed', message: consoleClosedMessage(event.code, event.reason) }));
        const display = new RFB(screen.current!, socket, { shared: true });
        // Fits the page's width (360 px too) without asking the guest to change its resolution.
        display.scaleViewport = true;
        display.resizeSession = false;
        display.background = '#000';
        display.addEventListener('connect', () => {
          const canvas = screen.current?.querySelector('canvas');
          setState({ is: 'open', width: canvas?.width ?? 0, height: canvas?.height ?? 0 });
        });
        rfb.current = display;
      },
      (error: unknown) => !left && setState({ is: 'closed', message: error instanceof ApiError ? error.message : String(error) }),
    );
    return () => {
      left = true;
      rfb.current?.disconnect();
      rfb.current = null;
      if (socket && socket.readyState < WebSocket.CLOSING) socket.close(1000, 'closed in the web console');
    };
  }, [instanceId, attempt]);

  return (
    <div className="vnc-console">
      <p role="status" className="muted">
        {state.is === 'connecting' ? 'Connecting to the display…'
          : state.is === 'open' ? `Connected to the display (${state.width} × ${state.height}): click it to type there.` : null}
      </p>
      {state.is === 'open' ? (
        <div className="actions">
          <button type="button" className="secondary" onClick={() => rfb.current?.sendCtrlAltDel()}>Send Ctrl+Alt+Del</button>
        </div>
      ) : null}
      {state.is === 'closed' ? (
        <div className="banner error" role="alert">
          <p>{state.message}</p>
          <button type="button" className="secondary" onClick={() => setAttempt((n) => n + 1)}>Open the display again</button>
        </div>
      ) : null}
      <div className="screen" ref={screen} role="region" aria-label={`Display of ${name}`} />
    </div>
  );
}
