// Watches a device's way back after a reboot, as gok update does (GET / as JSON once a second, 5 s each), but telling rebooting, away and back apart.
import {DeviceError} from '../device-error.js';
import type {DeviceClient} from '../device-client.js';
import type {DeviceOverview} from '../device-model.js';
import type {BuildRef} from './update-events.js';

export type WatchState = {state: 'rebooting' | 'away' | 'back'; seconds: number; build?: BuildRef};

export type WatchOptions = {
	client: DeviceClient;
	/** The build before the reboot. */
	from: BuildRef;
	/** Default 5 minutes, as gok update. */
	timeoutMs?: number;
	/** Default 1 s. */
	pollMs?: number;
	signal?: AbortSignal;
	onState?: (state: WatchState) => void;
};

export type WatchOutcome =
	| {outcome: 'new-build'; overview: DeviceOverview; downtimeMs: number}
	/** Back, but with the build it ran before: the new one did not boot (a test boot fell back). */
	| {outcome: 'old-build'; overview: DeviceOverview; downtimeMs: number}
	| {outcome: 'never-back'; waitedMs: number; lastError: string};

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

export const buildOf = (overview: DeviceOverview): BuildRef => ({buildTimestamp: overview.buildTimestamp, sbomHash: overview.sbomHash});

/**
 * Polls until the device answers with another build than `from` (back), or with `from` after it was away (the old
 * build came back), or the time is up. A device that answers a wrong password now (a new build with another one)
 * is a failure, not "away". Cancelling throws the DeviceError 'aborted'.
 */
export async function watchReboot(options: WatchOptions): Promise<WatchOutcome> {
	const {client, from, signal, onState} = options;
	const timeoutMs = options.timeoutMs ?? 300_000;
	const pollMs = options.pollMs ?? 1000;
	const started = Date.now();
	let wentAway = false;
	let lastError = '';
	for (;;) {
		if (signal?.aborted) {
			throw new DeviceError(client.target.name, 'aborted', 'watching the reboot cancelled');
		}

		const tick = Date.now();
		const seconds = Math.round((tick - started) / 1000);
		try {
			const overview = await client.overview(signal);
			const build = buildOf(overview);
			const changed = build.buildTimestamp !== from.buildTimestamp || build.sbomHash !== from.sbomHash;
			if (changed || wentAway) {
				onState?.({state: 'back', seconds, build});
				return {outcome: changed ? 'new-build' : 'old-build', overview, downtimeMs: Date.now() - started};
			}

			onState?.({state: 'rebooting', seconds});
		} catch (error) {
			if (!(error instanceof DeviceError) || error.kind === 'auth' || error.kind === 'not-gokrazy' || error.kind === 'tls') {
				throw error;
			}

			if (error.kind === 'aborted') {
				throw error;
			}

			wentAway = true;
			lastError = error.causeText;
			onState?.({state: 'away', seconds});
		}

		if (Date.now() - started >= timeoutMs) {
			return {outcome: 'never-back', waitedMs: Date.now() - started, lastError};
		}

		await sleep(Math.max(0, pollMs - (Date.now() - tick)), signal);
	}
}
