// npm start: runs Awan on this machine. This foreground process only relays Ctrl-C: the supervisor
// runs in its own process group, so the terminal's SIGINT cannot stop PostgreSQL before the services.
import { fork } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const supervisor = fork(path.join(path.dirname(fileURLToPath(import.meta.url)), 'supervisor.js'), {
  detached: true,
  stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
});

let stopRequests = 0;
function stop() {
  stopRequests++;
  if (stopRequests === 1) {
    supervisor.send({ type: 'stop' }); // it says so, in the log's format
  } else if (supervisor.pid) {
    process.kill(-supervisor.pid, 'SIGKILL');
  }
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
supervisor.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
