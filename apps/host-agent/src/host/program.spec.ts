import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { killProcess, processGone, ProgramError, runProgram, runProgramsApart } from './program.js';

describe('programs the agent runs, forked by its program runner', () => {
  beforeAll(() => runProgramsApart());

  it('runs a program with its arguments as they are, its input, and answers its output', async () => {
    expect(await runProgram('printf', ['%s|', 'a b', '$(reboot)'])).toBe('a b|$(reboot)|');
    expect(await runProgram('cat', [], { input: 'link set dev awt0 up\n' })).toBe('link set dev awt0 up\n');
  });

  it('forks it from the runner, not from this process', async () => {
    const parent = Number((await runProgram('sh', ['-c', 'echo $PPID'])).trim());
    expect(parent).not.toBe(process.pid);
    expect((await runProgram('cat', [`/proc/${parent}/cmdline`])).split('\0').some((arg) => /program-runner\.[jt]s$/.test(arg))).toBe(true);
  });

  it('fails with the exit code and what the program said, or as killed past its deadline', async () => {
    await expect(runProgram('sh', ['-c', 'echo no such bridge >&2; exit 3'])).rejects.toMatchObject({ exitCode: 3, stderr: 'no such bridge\n' });
    const late = await runProgram('sleep', ['5'], { timeoutMs: 100 }).catch((error: unknown) => error);
    expect(late).toBeInstanceOf(ProgramError);
    expect(late).toMatchObject({ exitCode: null, message: expect.stringContaining('sleep 5 failed (killed)') });
  });

  it('kills a program that ignores SIGTERM past its deadline, rather than waiting on it for ever', async () => {
    const started = Date.now();
    const stubborn = await runProgram('sh', ['-c', 'trap "" TERM; sleep 60; echo done'], { timeoutMs: 200 }).catch((error: unknown) => error);
    expect(stubborn).toBeInstanceOf(ProgramError);
    expect(stubborn).toMatchObject({ exitCode: null, message: expect.stringContaining('failed (killed)') });
    // Its deadline, then the 5 s it has to end once sent SIGTERM.
    expect(Date.now() - started).toBeGreaterThan(5_000);
    expect(Date.now() - started).toBeLessThan(8_000);
  }, 20_000);

  it('runs many at once, each answered with its own output', async () => {
    const outputs = await Promise.all(Array.from({ length: 20 }, (_, i) => runProgram('echo', [String(i)])));
    expect(outputs).toEqual(Array.from({ length: 20 }, (_, i) => `${i}\n`));
  });

  it('fails what it was running when the runner ends, and starts another for the next program', async () => {
    const runner = Number((await runProgram('sh', ['-c', 'echo $PPID'])).trim());
    const running = runProgram('sleep', ['5']);
    process.kill(runner, 'SIGKILL');
    await expect(running).rejects.toMatchObject({ exitCode: null, message: expect.stringContaining('the program runner ended') });
    const next = Number((await runProgram('sh', ['-c', 'echo $PPID'])).trim());
    expect(next).not.toBe(runner);
    expect(next).not.toBe(process.pid);
  });

  it('kills a process and answers once it is gone, and takes one that ended already as gone', async () => {
    const running = spawn('sleep', ['30']);
    await once(running, 'spawn');
    await killProcess(running.pid!);
    expect(await processGone(running.pid!)).toBe(true);

    const ended = spawn('true');
    await once(ended, 'exit'); // reaped: its pid names no process now
    await expect(killProcess(ended.pid!)).resolves.toBeUndefined();
  });

  it('fails for a process that SIGKILL does not end, as one stuck in uninterruptible I/O', async () => {
    // kthreadd ignores every signal, as a process in uninterruptible sleep ignores SIGKILL for a while.
    const kthreadd = (await readFile('/proc/2/stat', 'utf8').catch(() => '')).startsWith('2 (kthreadd) ');
    if (!kthreadd) {
      console.warn('skipped: no kthreadd at pid 2 in this pid namespace to stand for a process that cannot be killed');
      return;
    }
    await expect(killProcess(2, 200)).rejects.toThrow(/still runs 200 ms after SIGKILL|EPERM/);
    expect(await processGone(2)).toBe(false);
  });
});
