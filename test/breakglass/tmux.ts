// Drives a program in a real terminal: a tmux server on its own socket, keys sent, the screen read back and polled.
import {writeFileSync} from 'node:fs';
import path from 'node:path';
import {run} from './harness.js';

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
	const socket = `krazy-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
	const script = path.join(dir, `${socket}.sh`);
	const exports = Object.entries(env)
		.filter(([name, value]) => value !== undefined && /^[A-Z_][A-Z\d_]*$/i.test(name) && !name.startsWith('TMUX'))
		.map(([name, value]) => `export ${name}='${value!.replaceAll('\'', '\'\\\'\'')}'`)
		.join('\n');
	writeFileSync(script, `${exports}\nunset SSH_AUTH_SOCK_UNUSED\n${command}\necho "EXIT=$?"\nstty -a | tr '\\n' ' '; echo\necho STTY-DONE\nexec sleep 600\n`, {mode: 0o755});
	const tmux = (...args: string[]) => run('tmux', ['-L', socket, ...args]);
	await tmux('new-session', '-d', '-x', String(size.columns), '-y', String(size.rows), `bash ${script}`);
	const screen = async () => (await tmux('capture-pane', '-p', '-J')).stdout;
	const self: Tmux = {
		async send(...keys) {
			await tmux('send-keys', ...keys);
		},
		async type(text) {
			await tmux('send-keys', '-l', text);
		},
		screen,
		async waitFor(pattern, timeoutMs = 20_000) {
			const started = Date.now();
			const deadline = started + timeoutMs;
			let last = '';
			while (Date.now() < deadline) {
				last = await screen();
				if (pattern.test(last)) {
					return last;
				}

				await new Promise(resolve => setTimeout(resolve, 100));
			}

			throw new Error(`screen never matched ${pattern} in ${Date.now() - started} ms:\n${last}`);
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
			return (await tmux('display-message', '-p', format)).stdout.trim();
		},
		async resize(columns, rows) {
			await tmux('resize-window', '-x', String(columns), '-y', String(rows));
		},
		async stop() {
			await tmux('kill-server').catch(() => {});
		},
	};
	return self;
}
