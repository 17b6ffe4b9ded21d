// Several devices, one at a time: each through its whole update before the next starts; the first failure (or a cancel) stops the rollout and leaves the rest untouched.
import {describeBuild, UpdateFailure, type BuildRef, type DeviceStanding, type UpdateResult} from './update-events.js';

export type RolloutRow = {
	device: string;
	outcome: 'updated' | 'failed' | 'cancelled' | 'untouched';
	standing: DeviceStanding;
	from?: BuildRef;
	to?: BuildRef;
	/** For failed and cancelled devices: the one line saying why and where it stands. */
	message?: string;
	result?: UpdateResult;
	failure?: UpdateFailure;
};

export type RolloutOutcome = {rows: RolloutRow[]; ok: boolean; cancelled: boolean};

/**
 * Runs `updateOne` for each device in order. A device's failure (an UpdateFailure or anything else) ends the
 * rollout; so does a cancel, between devices or during one. Every device gets a row.
 */
export async function runRollout(devices: readonly string[], updateOne: (device: string) => Promise<UpdateResult>, signal?: AbortSignal): Promise<RolloutOutcome> {
	const rows: RolloutRow[] = [];
	let stopped: 'failed' | 'cancelled' | undefined;
	for (const device of devices) {
		if (stopped === undefined && signal?.aborted) {
			stopped = 'cancelled';
		}

		if (stopped !== undefined) {
			rows.push({device, outcome: 'untouched', standing: 'untouched', message: `${device}: not started (${stopped === 'cancelled' ? 'the rollout was cancelled' : 'an earlier device failed'})`});
			continue;
		}

		try {
			const result = await updateOne(device);
			rows.push({device, outcome: 'updated', standing: result.standing, from: result.from, to: result.to, result});
		} catch (error) {
			const failure = error instanceof UpdateFailure ? error : undefined;
			const cancelled = failure?.extra.cancelled === true || signal?.aborted === true;
			stopped = cancelled ? 'cancelled' : 'failed';
			rows.push({
				device,
				outcome: cancelled ? 'cancelled' : 'failed',
				standing: failure?.standing ?? 'untouched',
				from: failure?.extra.from,
				to: failure?.extra.to,
				message: failure?.message ?? `${device}: ${(error as Error).message ?? String(error)}`,
				failure,
			});
		}
	}

	return {rows, ok: stopped === undefined, cancelled: stopped === 'cancelled'};
}

/** One line per device for a summary: "casa  updated  build A → build B". */
export function describeRow(row: RolloutRow): string {
	const builds = row.from && row.to ? `${describeBuild(row.from)} → ${describeBuild(row.to)}` : '';
	return [row.device, row.outcome, row.standing, builds].filter(part => part !== '').join('  ');
}
