// The light fleet's init: the demo's services simulated (pids, start times, exits, restarts, log lines) instead of run as child processes.
//
// Hundreds of devices on a laptop cannot each run eight real programs; these services follow the same rules as the
// real supervisor (gokrazy's supervise.go: restart one second after an exit, exit 125 or 0 stops, "once" stops after
// one run) on one shared clock, so the HTTP API, the fleet store and the exporter see what they would see on a device.
import {LineRing} from './line-ring.js';
import {formatLogPrefix, goExitText, goQuoteList, nowNs, type GoTime} from './go-format.js';
import type {ServiceHost, ServiceView} from './gokrazy-http.js';

/** What a simulated program does: print a line every `lineEveryMs`, exit with `exitCode` after `runMs`. */
export type SimulatedProgram = {
	path: string;
	args: string[];
	/** Resident memory while it runs, in bytes. */
	rssBytes: number;
	lineEveryMs?: number;
	line?: (n: number) => {stream: 'stdout' | 'stderr'; text: string};
	/** Ends by itself after this long (a crash, unless exitCode is 0 or 125). */
	runMs?: number;
	exitCode?: number;
	/** Like breakglass: exits 125 ("do not supervise me") at its first start, after 50 ms. */
	declinesFirstStart?: boolean;
	dontStart?: boolean;
};

const restartDelayMs = 1000;
/** The real supervisor looks at a stopped service once a second. */
const stoppedPollMs = 1000;

/** Pids of simulated processes: unique in the process, above what a Pi's boot uses. */
let nextPid = 1000;

export class SimulatedService implements ServiceView {
	readonly stdout = new LineRing();
	readonly stderr = new LineRing();
	stopped: boolean;
	pid = 0;
	startTime: GoTime = null;
	running = false;
	private mode: 'loop' | 'once' | 'done' = 'loop';
	private attempt = 0;
	private lines = 0;
	/** When the next thing happens (start, exit, line), in ms; Infinity: nothing until someone acts. */
	private dueAt: number;
	private startedAt = 0;
	private nextLineAt = Number.POSITIVE_INFINITY;
	private exitCode: number = 1;

	constructor(
		readonly program: SimulatedProgram,
		private readonly utcOffsetMinutes: number,
		now: number,
	) {
		this.stopped = program.dontStart ?? false;
		this.dueAt = this.stopped ? Number.POSITIVE_INFINITY : now;
	}

	get path(): string {
		return this.program.path;
	}

	get args(): string[] {
		return this.program.args;
	}

	rss(): number {
		return this.running ? this.program.rssBytes : 0;
	}

	restart(signal: NodeJS.Signals, once: boolean): void {
		this.mode = once ? 'once' : 'loop';
		if (this.stopped) {
			this.stopped = false;
			if (!this.running) {
				this.dueAt = Date.now() + stoppedPollMs / 2;
			}

			return;
		}

		if (this.running) {
			this.exit(Date.now(), null, signal);
		}
	}

	stop(signal: NodeJS.Signals): void {
		if (this.stopped) {
			return;
		}

		this.stopped = true;
		if (this.running) {
			this.exit(Date.now(), null, signal);
		} else {
			this.dueAt = Number.POSITIVE_INFINITY;
		}
	}

	/** The init's kill at a reboot or power-off: marked stopped, its process ended. */
	kill(now: number): void {
		this.stopped = true;
		if (this.running) {
			this.exit(now, null, 'SIGTERM');
		}

		this.dueAt = Number.POSITIVE_INFINITY;
	}

	/** Back to how it was before the first boot, and booted again. */
	reboot(now: number): void {
		this.stdout.clear();
		this.stderr.clear();
		this.stopped = this.program.dontStart ?? false;
		this.mode = 'loop';
		this.attempt = 0;
		this.pid = 0;
		this.startTime = null;
		this.running = false;
		this.dueAt = this.stopped ? Number.POSITIVE_INFINITY : now;
	}

	/** Does what is due by `now`. */
	tick(now: number): void {
		if (this.running && this.nextLineAt <= now) {
			const {stream, text} = this.program.line!(++this.lines);
			this[stream].writeText(text);
			this.nextLineAt = now + this.program.lineEveryMs!;
		}

		if (this.dueAt > now) {
			return;
		}

		if (this.running) {
			this.exit(now, this.exitCode, null);
		} else if (!this.stopped) {
			this.start(now);
		} else {
			this.dueAt = Number.POSITIVE_INFINITY;
		}
	}

	private log(now: number, text: string): void {
		this.stderr.writeText(`${formatLogPrefix(now, this.utcOffsetMinutes)}gokrazy: ${text}`);
	}

	private start(now: number): void {
		this.log(now, `attempt ${this.attempt}, starting ${goQuoteList(this.args)}`);
		this.attempt++;
		this.pid = nextPid++;
		this.startTime = nowNs();
		this.startedAt = now;
		this.running = true;
		const declines = this.attempt === 1 && this.program.declinesFirstStart === true;
		this.exitCode = declines ? 125 : (this.program.exitCode ?? 1);
		const runMs = declines ? 50 : this.program.runMs;
		this.dueAt = runMs === undefined ? Number.POSITIVE_INFINITY : now + runMs;
		this.nextLineAt = this.program.line && this.program.lineEveryMs ? now + this.program.lineEveryMs : Number.POSITIVE_INFINITY;
	}

	private exit(now: number, code: number | null, signal: NodeJS.Signals | null): void {
		this.running = false;
		this.nextLineAt = Number.POSITIVE_INFINITY;
		if (code === 125) {
			this.log(now, 'process should not be supervised, stopping');
			this.stopped = true;
			this.log(now, goExitText(code, signal));
		} else if (code === 0) {
			this.log(now, 'exited successfully, stopping');
			this.stopped = true;
		} else {
			this.log(now, goExitText(code, signal));
		}

		if (this.mode === 'once') {
			this.mode = 'done';
			if (!this.stopped) {
				this.log(now, 'running process only once, stopping');
				this.stopped = true;
			}
		}

		this.dueAt = this.stopped ? Number.POSITIVE_INFINITY : now + restartDelayMs;
	}

	/** How long the current process has run (for tests). */
	uptimeMs(now: number): number {
		return this.running ? now - this.startedAt : 0;
	}
}

export class SimulatedSupervisor implements ServiceHost {
	readonly services: SimulatedService[];

	constructor(programs: readonly SimulatedProgram[], utcOffsetMinutes: number, now = Date.now()) {
		this.services = programs.map(program => new SimulatedService(program, utcOffsetMinutes, now));
	}

	find(path: string): SimulatedService | undefined {
		return this.services.find(service => service.path === path);
	}

	tick(now: number): void {
		for (const service of this.services) {
			service.tick(now);
		}
	}

	killAll(now = Date.now()): void {
		for (const service of this.services) {
			service.kill(now);
		}
	}

	reboot(now = Date.now()): void {
		for (const service of this.services) {
			service.reboot(now);
		}
	}
}

const mib = 1024 * 1024;

/** The demo device's services (see demo-services.ts), as programs the light fleet simulates; `index` varies the RSS a little. */
export function lightPrograms(options: {crashAfterMs: number; index: number}): SimulatedProgram[] {
	const vary = (bytes: number) => Math.round((bytes * (1 + ((options.index * 37) % 20) / 100)) / 4096) * 4096;
	const quiet = (path: string, rss: number, note: string): SimulatedProgram => ({
		path,
		args: [path],
		rssBytes: vary(rss),
		lineEveryMs: 60_000,
		line: n => ({stream: 'stdout', text: `${path.slice(path.lastIndexOf('/') + 1)}: ${note} (${n})`}),
	});
	return [
		quiet('/gokrazy/dhcp', 5 * mib, 'lease renewed for 10.0.0.23'),
		quiet('/gokrazy/ntp', 4 * mib, 'clock in sync'),
		{
			path: '/gokrazy/heartbeat',
			args: ['/gokrazy/heartbeat'],
			rssBytes: vary(3 * mib),
			lineEveryMs: 5000,
			line: n => ({stream: 'stdout', text: `heartbeat: alive (${n})`}),
		},
		quiet('/gokrazy/randomd', 3 * mib, 'entropy pool refilled'),
		quiet('/user/golink', 18 * mib, 'served 3 redirects'),
		{
			path: '/user/chatty',
			args: ['/user/chatty'],
			rssBytes: vary(6 * mib),
			lineEveryMs: 1000,
			line: n => (n % 5 === 0 ? {stream: 'stderr', text: `chatty: warning: slow upstream (${n})`} : {stream: 'stdout', text: `chatty: tick ${n}`}),
		},
		{
			path: '/user/crasher',
			args: ['/user/crasher'],
			rssBytes: vary(4 * mib),
			runMs: options.crashAfterMs,
			exitCode: 1,
			lineEveryMs: Math.max(100, Math.floor(options.crashAfterMs / 2)),
			line: () => ({stream: 'stderr', text: 'crasher: something is wrong, giving up soon'}),
		},
		// As on the demo device it stops itself at its first start; started again, it runs (with no SSH server: light).
		{path: '/user/breakglass', args: ['/user/breakglass'], rssBytes: vary(9 * mib), declinesFirstStart: true},
	];
}
