// The demo's init: real child processes in their own process groups, supervised the way gokrazy's supervise.go does it.
import {spawn, type ChildProcess} from 'node:child_process';
import {mkdirSync} from 'node:fs';
import {LineRing} from './line-ring.js';
import {formatLogPrefix, goExitText, goQuoteList, nowNs, type GoTime} from './go-format.js';

export type ServiceSpec = {
	/** As the device reports it: "/user/golink". */
	path: string;
	/** As the device reports them; Args[0] is the path. */
	args: string[];
	/** What really runs. */
	command: string;
	commandArgs: string[];
	/** Extra environment (gokrazy's PackageConfig Environment). */
	env?: Record<string, string>;
	/** Configured not to start at boot (gokrazy's DontStart). */
	dontStart?: boolean;
};

type SuperviseMode = 'loop' | 'once' | 'done';

const pollMs = 1000;
const restartDelayMs = 1000;

/** The groups of every running child of every supervisor in this process, so an exiting process can take them along. */
const liveGroups = new Set<number>();

export function killGroup(pid: number, signal: NodeJS.Signals): boolean {
	try {
		process.kill(-pid, signal);
		return true;
	} catch {
		return false;
	}
}

function groupAlive(pid: number): boolean {
	try {
		process.kill(-pid, 0);
		return true;
	} catch (error) {
		return (error as NodeJS.ErrnoException).code === 'EPERM';
	}
}

let exitHooksInstalled = false;

function killAllLiveGroups(): void {
	for (const pid of liveGroups) {
		killGroup(pid, 'SIGKILL');
	}

	liveGroups.clear();
}

/**
 * No orphans: on exit, and on SIGINT/SIGTERM/SIGHUP when nobody else handles the signal
 * (then the signal is raised again so the process still dies of it).
 */
function installExitHooks(): void {
	if (exitHooksInstalled) {
		return;
	}

	exitHooksInstalled = true;
	process.on('exit', killAllLiveGroups);
	for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
		const onSignal = () => {
			if (process.listenerCount(signal) > 1) {
				return;
			}

			killAllLiveGroups();
			process.removeListener(signal, onSignal);
			process.kill(process.pid, signal);
		};

		process.on(signal, onSignal);
	}
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
	return new Promise(resolve => {
		if (signal.aborted) {
			resolve();
			return;
		}

		const timer = setTimeout(done, ms);
		function done() {
			clearTimeout(timer);
			signal.removeEventListener('abort', done);
			resolve();
		}

		signal.addEventListener('abort', done, {once: true});
	});
}

export type SupervisorOptions = {
	/** The device's /perm: homes live in perm/home/<name>. */
	permDir: string;
	/** Device time zone, for the init's log lines. */
	utcOffsetMinutes: number;
	/** PATH for the children (they are real programs on this machine). */
	path?: string;
};

export class SupervisedService {
	readonly stdout = new LineRing();
	readonly stderr = new LineRing();
	/** The supervisor will not start it again (until /restart). */
	stopped: boolean;
	/** Pid of the last process, kept after it exited (0: never started or could not start). */
	pid = 0;
	startTime: GoTime = null;
	/** A process of this service is alive right now. */
	running = false;
	private mode: SuperviseMode = 'loop';
	private attempt = 0;
	private readonly exitWaiters = new Set<() => void>();

	constructor(
		readonly spec: ServiceSpec,
		private readonly options: SupervisorOptions,
	) {
		this.stopped = spec.dontStart ?? false;
	}

	get path(): string {
		return this.spec.path;
	}

	get args(): string[] {
		return this.spec.args;
	}

	get home(): string {
		return `${this.options.permDir}/home/${this.path.slice(this.path.lastIndexOf('/') + 1)}`;
	}

	/** Back to how it was before the first boot: attempt counter, stop flag, logs. */
	reset(): void {
		this.stdout.clear();
		this.stderr.clear();
		this.stopped = this.spec.dontStart ?? false;
		this.mode = 'loop';
		this.attempt = 0;
		this.pid = 0;
		this.startTime = null;
	}

	/** gokrazy's supervise loop; returns when the boot epoch is aborted. */
	async supervise(epoch: AbortSignal): Promise<void> {
		while (!epoch.aborted) {
			if (this.stopped) {
				await delay(pollMs, epoch);
				continue;
			}

			await this.runOnce();
			if (epoch.aborted) {
				return;
			}

			await delay(restartDelayMs, epoch);
		}
	}

	/** /restart: a stopped service is picked up by the next poll, a running one is signalled and comes back after it exits. */
	restart(signal: NodeJS.Signals, once: boolean): void {
		this.mode = once ? 'once' : 'loop';
		if (this.stopped) {
			this.stopped = false;
			return;
		}

		this.signal(signal);
	}

	/** /stop: marked stopped, then signalled. */
	stop(signal: NodeJS.Signals): void {
		if (this.stopped) {
			return;
		}

		this.stopped = true;
		this.signal(signal);
	}

	signal(signal: NodeJS.Signals): void {
		if (this.running && this.pid > 0) {
			killGroup(this.pid, signal);
		}
	}

	/** Resolves once no process of this service runs (at once when none does). */
	whenExited(): Promise<void> {
		if (!this.running) {
			return Promise.resolve();
		}

		return new Promise(resolve => {
			this.exitWaiters.add(resolve);
		});
	}

	private log(text: string): void {
		this.stderr.writeText(`${formatLogPrefix(Date.now(), this.options.utcOffsetMinutes)}gokrazy: ${text}`);
	}

	private async runOnce(): Promise<void> {
		const env: Record<string, string> = {
			PATH: this.options.path ?? process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
			USER: process.env.USER ?? 'root',
			...this.spec.env,
		};
		if (this.attempt === 0) {
			env.GOKRAZY_FIRST_START = '1';
		}

		env.HOME = this.home;
		mkdirSync(this.home, {recursive: true});
		this.log(`attempt ${this.attempt}, starting ${goQuoteList(this.args)}`);
		this.startTime = nowNs();
		this.attempt++;

		let child: ChildProcess;
		try {
			child = spawn(this.spec.command, this.spec.commandArgs, {
				cwd: this.home,
				env,
				argv0: this.path,
				detached: true,
				// stdin stays an open pipe we never write: a child sees EOF there when this process dies.
				stdio: ['pipe', 'pipe', 'pipe'],
			});
		} catch (error) {
			this.failedStart(error);
			return;
		}

		const exited = new Promise<{code: number | null; signal: NodeJS.Signals | null; error?: Error}>(resolve => {
			child.once('error', error => {
				resolve({code: null, signal: null, error});
			});
			child.once('close', (code, signal) => {
				resolve({code, signal});
			});
		});
		if (child.pid === undefined) {
			const result = await exited;
			this.failedStart(result.error);
			return;
		}

		const pid = child.pid;
		this.pid = pid;
		this.running = true;
		liveGroups.add(pid);
		installExitHooks();
		child.stdout!.on('data', (chunk: Buffer) => {
			this.stdout.write(chunk);
		});
		child.stderr!.on('data', (chunk: Buffer) => {
			this.stderr.write(chunk);
		});
		child.stdin!.on('error', () => {});

		const {code, signal} = await exited;
		if (code === 125) {
			this.log('process should not be supervised, stopping');
			this.stopped = true;
			this.log(goExitText(code, signal));
		} else if (code === 0) {
			this.log('exited successfully, stopping');
			this.stopped = true;
		} else {
			this.log(goExitText(code, signal));
		}

		if (this.mode === 'once') {
			this.mode = 'done';
			if (!this.stopped) {
				this.log('running process only once, stopping');
				this.stopped = true;
			}
		}

		// Like the init's Wait4 on the group: whatever the program left behind in its group goes first.
		for (let waited = 0; groupAlive(pid) && waited < 5000; waited += 20) {
			await new Promise(resolve => setTimeout(resolve, 20));
		}

		killGroup(pid, 'SIGKILL');
		child.stdin!.destroy();
		liveGroups.delete(pid);
		this.running = false;
		for (const resolve of this.exitWaiters) {
			resolve();
		}

		this.exitWaiters.clear();
	}

	private failedStart(error: unknown): void {
		const errno = error as NodeJS.ErrnoException | undefined;
		const reason = errno?.code === 'ENOENT' ? 'no such file or directory' : errno?.code === 'EACCES' ? 'permission denied' : String(errno?.message ?? error);
		this.pid = 0;
		this.log(`fork/exec ${this.spec.command}: ${reason}`);
		this.log('exec: not started');
	}
}

/** The init's services and their boot epochs (a reboot ends one epoch and begins the next). */
export class Supervisor {
	readonly services: SupervisedService[];
	private epoch = new AbortController();
	private loops: Array<Promise<void>> = [];
	private booted = false;

	constructor(specs: ServiceSpec[], options: SupervisorOptions) {
		this.services = specs.map(spec => new SupervisedService(spec, options));
	}

	find(path: string): SupervisedService | undefined {
		return this.services.find(service => service.path === path);
	}

	boot(): void {
		if (this.booted) {
			return;
		}

		this.booted = true;
		this.epoch = new AbortController();
		const epoch = this.epoch.signal;
		this.loops = this.services.map(service => service.supervise(epoch));
	}

	/**
	 * The init's killSupervisedServices: every service not stopped is marked stopped and gets SIGTERM;
	 * whatever still runs after waitPerSignalMs gets SIGKILL.
	 */
	async killAll(waitPerSignalMs: number): Promise<void> {
		for (const service of this.services) {
			if (!service.stopped) {
				service.stopped = true;
				service.signal('SIGTERM');
			}
		}

		const allExited = Promise.all(this.services.map(service => service.whenExited()));
		let timer: NodeJS.Timeout | undefined;
		const timedOut = await Promise.race([
			allExited.then(() => false),
			new Promise<boolean>(resolve => {
				timer = setTimeout(() => resolve(true), waitPerSignalMs);
			}),
		]);
		clearTimeout(timer);
		if (timedOut) {
			for (const service of this.services) {
				service.signal('SIGKILL');
			}

			await allExited;
		}
	}

	/** Ends the boot epoch: every process killed, every loop finished. */
	async shutdown(waitPerSignalMs = 2000): Promise<void> {
		if (!this.booted) {
			return;
		}

		this.epoch.abort();
		await this.killAll(waitPerSignalMs);
		await Promise.all(this.loops);
		this.loops = [];
		this.booted = false;
	}

	/** A fresh boot after shutdown(): attempts from 0, logs empty, configured stop flags. */
	rebootServices(): void {
		for (const service of this.services) {
			service.reset();
		}

		this.boot();
	}

	livePids(): number[] {
		return this.services.filter(service => service.running).map(service => service.pid);
	}
}
