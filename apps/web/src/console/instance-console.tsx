import { lazy, Suspense, useState } from 'react';
import './instance-console.css';

/** xterm.js and noVNC each load with their console, when it is first shown, not with the page. */
const SerialConsole = lazy(() => import('./serial-console.js'));
const VncConsole = lazy(() => import('./vnc-console.js'));

/**
 * The console tab: a container's serial console; a virtual machine's serial console or its display
 * (VNC), chosen here. Only the chosen one is open: choosing the other closes its socket.
 */
export function InstanceConsole({ instance }: { instance: { id: string; name: string; kind: string } }) {
  const [kind, setKind] = useState<'SERIAL' | 'VNC'>('SERIAL');
  return (
    <>
      {instance.kind === 'VM' ? (
        <fieldset className="console-kind">
          <legend>Which console</legend>
          <label><input type="radio" name="console-kind" checked={kind === 'SERIAL'} onChange={() => setKind('SERIAL')} /> Serial console</label>
          <label><input type="radio" name="console-kind" checked={kind === 'VNC'} onChange={() => setKind('VNC')} /> Display (VNC)</label>
        </fieldset>
      ) : null}
      <Suspense fallback={<p role="status">Loading the console…</p>}>
        {kind === 'VNC' ? <VncConsole instanceId={instance.id} name={instance.name} /> : <SerialConsole instanceId={instance.id} />}
      </Suspense>
    </>
  );
}
