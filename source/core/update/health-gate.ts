// The health gate after an update: for the settle time, every service that ran before must run, and none may restart more than twice.
import {DeviceError} from '../device-error.js';
import type {DeviceClient} from '../device-client.js';
import {serviceState, type DeviceOverview, type ServiceStatus} from '../device-model.js';
import type {GateRow, ServiceSnapshot} from './update-events.js';

export type GateOptions = {
	client: DeviceClient;
	/** The overview before the update. */
	before: DeviceOverview;
	/** The overview the device came back with (the first observation). */
	back: DeviceOverview;
	settleMs: number;
	/** Default 500 ms: a crash loop restarts about once a second. */
	pollMs?: number;
	/** More restarts than this fail the gate; default 2. */
	maxRestarts?: number;
	/** The device may miss answers this long before the gate fails; default 5 s. */
	maxSilenceMs?: number;
	/** Services that may be gone without failing the gate: removed on purpose (the SBOM says so), or a rollback's. */
	mayBeGone?: (path: string) => boolean;
	signal?: AbortSignal;
	onTick?: (rows: GateRow[], remainingMs: number) => void;
};

export type GateOutcome = {passed: boolean; rows: GateRow[]; problem?: string};

type Track = {pid: number; start: number | null; restarts: number; last: ServiceStatus};

const snapshot = (service: ServiceStatus | undefined, now: number): ServiceSnapshot | null =>
	service ? {state: serviceState(service, now), pid: service.pid} : null;

const sleep = (ms: number, signal?: AbortSignal) =>
	new Promise<void>(resolve => {
		const timer = setTimeout(done, ms);
		function done() {
			clearTimeout(timer);
			signal?.removeEventListener('abort', done);
			resolve();
		}

		signal?.addEventListener('abort', done, {once: true});
	});

/**
 * Restarts are counted from what the overview shows: a new start time (or pid) between two looks is one more
 * start. Looking every half second catches a service restarting once a second; two restarts between looks count
 * as one, which can only make the gate milder, never stricter.
 */
export async function runHealthGate(options: GateOptions): Promise<GateOutcome> {
	const {client, before, signal} = options;
	const pollMs = options.pollMs ?? 500;
	const maxRestarts = options.maxRestarts ?? 2;
	const maxSilenceMs = options.maxSilenceMs ?? 5000;
	const started = Date.now();
	const tracks = new Map<string, Track>();
	const observe = (overview: DeviceOverview) => {
		for (const service of overview.services) {
			const start = service.startTime?.getTime() ?? null;
			const track = tracks.get(service.path);
			if (!track) {
				tracks.set(service.path, {pid: service.pid, start, restarts: 0, last: service});
				continue;
			}

			if (start !== track.start || service.pid !== track.pid) {
				if (start !== null || service.pid !== 0) {
					track.restarts++;
				}

				track.pid = service.pid;
				track.start = start;
			}

			track.last = service;
		}
	};

	observe(options.back);
	let current = options.back;
	let lastAnswer = Date.now();
	let problem: string | undefined;
	for (;;) {
		const remaining = options.settleMs - (Date.now() - started);
		options.onTick?.(rows(before, current, tracks, maxRestarts, Date.now(), options.mayBeGone), Math.max(0, remaining));
		if (remaining <= 0) {
			break;
		}

		await sleep(Math.min(pollMs, remaining), signal);
		if (signal?.aborted) {
			throw new DeviceError(client.target.name, 'aborted', 'health gate cancelled');
		}

		try {
			current = await client.overview(signal);
			lastAnswer = Date.now();
			observe(current);
		} catch (error) {
			if (error instanceof DeviceError && error.kind === 'aborted') {
				throw error;
			}

			if (Date.now() - lastAnswer > maxSilenceMs) {
				problem = `the device stopped answering during the health gate (${error instanceof DeviceError ? error.causeText : String(error)})`;
				break;
			}
		}
	}

	const final = rows(before, current, tracks, maxRestarts, Date.now(), options.mayBeGone);
	const failing = final.filter(row => !row.ok);
	for (const row of failing) {
		row.lastStderr = await lastStderrLine(client, row.path, signal);
	}

	return {passed: failing.length === 0 && problem === undefined, rows: final, problem};
}

/** The init's own lines about a service ("2024/05/01 12:04:00 gokrazy: exit status 1") say less than the program's. */
const supervisorLine = /^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d gokrazy: /;

/** The last stderr line the program itself wrote, from the lines the device holds; undefined when it holds none. */
async function lastStderrLine(client: DeviceClient, path: string, signal?: AbortSignal): Promise<string | undefined> {
	const lines: string[] = [];
	try {
		for await (const event of client.logs(path, 'stderr', {follow: false, quietMs: 1000, signal})) {
			if (event.type === 'lines') {
				lines.push(...event.lines.map(line => line.line));
			}
		}
	} catch {
		// No lines to show: the row says why it failed anyway.
	}

	return lines.findLast(line => !supervisorLine.test(line) && line.trim() !== '') ?? lines.at(-1);
}

function rows(before: DeviceOverview, current: DeviceOverview, tracks: Map<string, Track>, maxRestarts: number, now: number, mayBeGone?: (path: string) => boolean): GateRow[] {
	const beforeByPath = new Map(before.services.map(service => [service.path, service]));
	const currentByPath = new Map(current.services.map(service => [service.path, service]));
	const paths = [...new Set([...before.services.map(service => service.path), ...current.services.map(service => service.path)])];
	return paths.map(path => {
		const old = beforeByPath.get(path);
		const now_ = currentByPath.get(path);
		const restarts = tracks.get(path)?.restarts ?? 0;
		const ranBefore = old !== undefined && !old.stopped;
		let reason: string | undefined;
		if (ranBefore && now_ === undefined && !mayBeGone?.(path)) {
			reason = 'not in the new build';
		} else if (ranBefore && now_?.stopped) {
			reason = 'stopped';
		} else if (restarts > maxRestarts) {
			reason = `restarted ${restarts} times`;
		}

		return {path, before: snapshot(old, now), after: snapshot(now_, now), restarts, ok: reason === undefined, ...(reason ? {reason} : {})};
	});
}
