// The one tmux driver: runs a terminal program in a private tmux server for end-to-end tests (the dashboard, the wall,
// the shell, the screenshots): type keys, read the screen, wait for text, end the program and the server.
import {execFile} from 'node:child_process';
import {readFileSync, rmSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {promisify} from 'node:util';
import {waitFor} from './wait-for.js';

const run = promisify(execFile);
let counter = 0;

export type TmuxOptions = {
	/** The program and its arguments (run directly, not through a shell). */
	command: readonly string[];
	columns?: number;
	rows?: number;
	env?: Record<string, string>;
	cwd?: string;
};

function shellQuote(text: string): string {
	return `'${text.replaceAll("'", "'\\''")}'`;
}

/** One tmux server on its own socket (`-L`), one session, one pane; `kill()` ends the server and what runs in it. */
export class TmuxSession {
	/** Where the program's exit status is written when it ends: see exitStatus(). */
	private readonly statusFile: string;

	private constructor(readonly socket: string, readonly target: string) {
		this.statusFile = path.join(os.tmpdir(), `${socket}.status`);
	}

	static async start(options: TmuxOptions): Promise<TmuxSession> {
		const socket = `krazy-test-${process.pid}-${++counter}`;
		const session = new TmuxSession(socket, 'main');
		const env = {TERM: 'xterm-256color', LANG: 'C.UTF-8', ...options.env};
		const envArgs = Object.entries(env).flatMap(([key, value]) => ['-e', `${key}=${value}`]);
		// The program is on a real terminal: $CI (set on CI machines, and inherited by the tmux server) would make Ink
		// draw only its last frame and chalk drop every colour, so it is removed for the program.
		const command = ['env', '-u', 'CI', '-u', 'CONTINUOUS_INTEGRATION', ...options.command].map(part => shellQuote(part)).join(' ');
		// The shell tmux starts writes the status down too (128 + N for signal N, like tmux): see exitStatus().
		const program = `${command}; echo $? > ${shellQuote(session.statusFile)}`;
		await session.tmux(
			'-f', '/dev/null',
			'new-session', '-d', '-s', 'main', '-x', String(options.columns ?? 80), '-y', String(options.rows ?? 24),
			...(options.cwd ? ['-c', options.cwd] : []),
			...envArgs,
			program,
		);
		await session.tmux('set-option', '-t', 'main', 'remain-on-exit', 'on');
		return session;
	}

	async tmux(...args: string[]): Promise<string> {
		const {stdout} = await run('tmux', ['-L', this.socket, ...args], {encoding: 'utf8'});
		return stdout;
	}

	/** Keys by tmux name (`Enter`, `Escape`, `Down`, `PageUp`, `C-c`) or literal text with `literal`. */
	async sendKeys(...keys: string[]): Promise<void> {
		await this.tmux('send-keys', '-t', this.target, ...keys);
	}

	async type(text: string): Promise<void> {
		await this.tmux('send-keys', '-t', this.target, '-l', text);
	}

	/** The visible screen as text, one line per row (trailing spaces trimmed); `join`: wrapped lines joined. */
	async capture(options: {escapes?: boolean; join?: boolean} = {}): Promise<string> {
		return this.tmux('capture-pane', '-p', ...(options.escapes ? ['-e'] : []), ...(options.join ? ['-J'] : []), '-t', this.target);
	}

	async resize(columns: number, rows: number): Promise<void> {
		await this.tmux('resize-window', '-t', this.target, '-x', String(columns), '-y', String(rows));
	}

	/** Whether the program in the pane has exited, and with what status (128 + N when killed by signal N). */
	async exitStatus(): Promise<number | null> {
		// Under load tmux 3.3 can mark the pane dead and never learn the status; the file the shell wrote is certain.
		let written = '';
		try {
			written = readFileSync(this.statusFile, 'utf8').trim();
		} catch {
			// Not ended yet, or ended by a signal before the shell could write.
		}

		if (/^\d+$/.test(written)) {
			return Number(written);
		}

		const text = await this.tmux('display-message', '-p', '-t', this.target, '#{pane_dead}:#{pane_dead_status}:#{pane_dead_signal}');
		const [dead, status, signal] = text.trim().split(':');
		// tmux marks a pane dead when its terminal closes, and learns the status only when it reaps the process: until
		// then both are empty, and the answer is "not yet", not a status.
		if (dead !== '1' || (!status && !signal)) {
			return null;
		}

		return status ? Number(status) : 128 + Number(signal);
	}

	/** Waits for the program to exit; resolves with its status. */
	async waitForExit(timeoutMs = 10_000): Promise<number> {
		return waitFor(async () => (await this.exitStatus()) ?? undefined, {timeoutMs, what: 'the program to exit', intervalMs: 100, lastSeen: async () => this.capture()});
	}

	/** Polls the screen until `match` is on it; fails after `timeoutMs` with the last screen in the message. */
	async waitForText(match: string | RegExp | ((screen: string) => boolean), timeoutMs = 15_000): Promise<string> {
		const accept = typeof match === 'function'
			? match
			: (screen: string) => (typeof match === 'string' ? screen.includes(match) : match.test(screen));
		let screen = '';
		return waitFor(async () => {
			screen = await this.capture();
			return accept(screen) ? screen : undefined;
		}, {timeoutMs, what: String(match), intervalMs: 100, lastSeen: () => screen});
	}

	/** tmux's answer about the pane (`#{pane_pid}`, `#{cursor_flag}` …). */
	async display(format: string): Promise<string> {
		return (await this.tmux('display-message', '-p', '-t', this.target, format)).trim();
	}

	/**
	 * Ends what runs in the pane, then the server. The programs get SIGTERM first (so the dashboard and the demo device
	 * clean up), leftovers SIGKILL; only processes descending from this pane are touched, by pid.
	 */
	async kill(): Promise<void> {
		let panePid = 0;
		try {
			panePid = Number((await this.tmux('display-message', '-p', '-t', this.target, '#{pane_pid}')).trim());
		} catch {
			// No server any more.
		}

		const tree = panePid > 0 ? await descendants(panePid) : [];
		signalAll(tree, 'SIGTERM');
		const deadline = Date.now() + 5000;
		while (tree.some(pid => isAlive(pid)) && Date.now() < deadline) {
			await new Promise(resolve => setTimeout(resolve, 100));
		}

		signalAll(tree.filter(pid => isAlive(pid)), 'SIGKILL');
		try {
			await this.tmux('kill-server');
		} catch {
			// Already gone.
		}

		rmSync(this.statusFile, {force: true});
		// A server ended by kill-server can leave its socket file behind: nothing of this session may stay.
		rmSync(path.join(process.env.TMUX_TMPDIR ?? '/tmp', `tmux-${process.getuid?.() ?? 0}`, this.socket), {force: true});
	}
}

/** The pid and all its descendants, parents first. */
async function descendants(pid: number): Promise<number[]> {
	const {stdout} = await run('ps', ['-e', '-o', 'pid=,ppid='], {encoding: 'utf8'});
	const children = new Map<number, number[]>();
	for (const line of stdout.trim().split('\n')) {
		const [child, parent] = line.trim().split(/\s+/).map(Number);
		children.set(parent, [...(children.get(parent) ?? []), child]);
	}

	const result: number[] = [];
	const queue = [pid];
	while (queue.length > 0) {
		const next = queue.shift()!;
		result.push(next);
		queue.push(...(children.get(next) ?? []));
	}

	return result;
}

function isAlive(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch {
		return false;
	}
}

function signalAll(pids: number[], signal: NodeJS.Signals): void {
	for (const pid of pids) {
		try {
			process.kill(pid, signal);
		} catch {
			// Already gone.
		}
	}
}
