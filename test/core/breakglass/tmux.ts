// The shell tests' view of a terminal, on the one tmux driver (helpers/tmux.ts): a bash script that runs the command,
// then reports its exit status and the terminal's settings, so a test can see the terminal krazy-tui left behind.
import {writeFileSync} from 'node:fs';
import path from 'node:path';
import {TmuxSession} from '../../helpers/tmux.js';
import {waitFor} from '../../helpers/wait-for.js';

/** A remote shell's prompt as the screen shows it: bash's `root@host:~# ` behind OpenSSH, busybox's `/ # `. */
const shellPrompt = /[#$] $/m;

export type Tmux = {
	send(...keys: string[]): Promise<void>;
	/** Types text literally (no key names). */
	type(text: string): Promise<void>;
	screen(): Promise<string>;
	/** Polls the screen until it matches; rejects with the last screen when it does not in time. */
	waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
	/**
	 * Waits for the remote shell's prompt (as a person would: keys typed while krazy-tui still connects pile up in the local
	 * terminal), then types `line` and Enter until the screen matches: a shell still setting up its terminal can flush
	 * typeahead (as behind OpenSSH), so a session's first line is retried. A slow login gets `timeoutMs` in all.
	 */
	untilAnswered(line: string, pattern: RegExp, timeoutMs?: number): Promise<string>;
	display(format: string): Promise<string>;
	resize(columns: number, rows: number): Promise<void>;
	stop(): Promise<void>;
};

/**
 * Runs `command` (a shell line) under bash in a fresh tmux server, with `env` exported; after it ends, the script prints
 * `EXIT=<status>` and the terminal's `stty -a`, then waits, so the test can look at the terminal it left behind.
 */
export async function startTmux(dir: string, command: string, env: NodeJS.ProcessEnv, size = {columns: 100, rows: 30}): Promise<Tmux> {
	const script = path.join(dir, `krazy-${process.pid}-${Math.random().toString(36).slice(2, 8)}.sh`);
	const exports = Object.entries(env)
		.filter(([name, value]) => value !== undefined && /^[A-Z_][A-Z\d_]*$/i.test(name) && !name.startsWith('TMUX'))
		.map(([name, value]) => `export ${name}='${value!.replaceAll('\'', '\'\\\'\'')}'`)
		.join('\n');
	writeFileSync(script, `${exports}\nunset SSH_AUTH_SOCK_UNUSED\n${command}\necho "EXIT=$?"\nstty -a | tr '\\n' ' '; echo\necho STTY-DONE\nexec sleep 600\n`, {mode: 0o755});
	// The one tmux driver; the script's environment is its own (exported above), tmux only adds TERM.
	const session = await TmuxSession.start({command: ['bash', script], columns: size.columns, rows: size.rows, env: {TERM: env.TERM ?? 'xterm-256color'}});
	const screen = async () => session.capture({join: true});
	const self: Tmux = {
		async send(...keys) {
			await session.sendKeys(...keys);
		},
		async type(text) {
			await session.type(text);
		},
		screen,
		async waitFor(pattern, timeoutMs = 20_000) {
			let last = '';
			return waitFor(async () => {
				last = await screen();
				return pattern.test(last) ? last : undefined;
			}, {timeoutMs, what: `the screen to match ${pattern}`, intervalMs: 100, lastSeen: () => last});
		},
		async untilAnswered(line, pattern, timeoutMs = 60_000) {
			const started = Date.now();
			const deadline = started + timeoutMs;
			await self.waitFor(shellPrompt, timeoutMs);
			for (let attempt = 1; ; attempt++) {
				await self.type(line);
				await self.send('Enter');
				try {
					return await self.waitFor(pattern, Math.min(3000, Math.max(100, deadline - Date.now())));
				} catch (error) {
					if (Date.now() >= deadline) {
						throw new Error(`typed ${JSON.stringify(line)} ${attempt} times over ${Date.now() - started} ms: ${(error as Error).message}`);
					}
				}
			}
		},
		async display(format) {
			return session.display(format);
		},
		async resize(columns, rows) {
			await session.resize(columns, rows);
		},
		async stop() {
			await session.kill();
		},
	};
	return self;
}
