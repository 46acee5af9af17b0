// Loaded into a service's process by a bench (NODE_OPTIONS=--import <this file>, BENCH_CPU_PROF_DIR
// set): each SIGWINCH starts V8's CPU profiler, the next one stops it and writes
// <dir>/<label>.<service>.<pid>.cpuprofile, <label> being what <dir>/label holds then (a bench writes
// it before signalling), so only the measured seconds are profiled, not the start or the warm-up.
// Open a profile in Chrome's DevTools or summarize it with bench/common/cpu-profile-summary.ts.
// SIGWINCH, as nothing else uses it here and a process without this file ignores it: Nest's
// shutdown hooks take SIGUSR2 (and the others that end a process), SIGUSR1 starts node's inspector.
// Plain JavaScript: the services run their built code on plain node.
import { readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import path from 'node:path';

const dir = process.env.BENCH_CPU_PROF_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  // The main thread's session answers at once: the callbacks run inside post().
  const post = (method, params) => {
    let result;
    session.post(method, params, (error, value) => {
      if (error) throw error;
      result = value;
    });
    return result;
  };
  post('Profiler.enable');
  post('Profiler.setSamplingInterval', { interval: 200 });
  let running = false;
  process.on('SIGWINCH', () => {
    if (!running) {
      post('Profiler.start');
      running = true;
      return;
    }
    running = false;
    const { profile } = post('Profiler.stop');
    const label = (() => {
      try {
        return readFileSync(path.join(dir, 'label'), 'utf8').trim();
      } catch {
        return 'profile';
      }
    })();
    const service = path.basename(path.dirname(path.dirname(process.argv[1] ?? 'node')));
    writeFileSync(path.join(dir, `${label}.${service}.${process.pid}.cpuprofile`), JSON.stringify(profile));
  });
}
