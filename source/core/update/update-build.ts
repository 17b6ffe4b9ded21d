// The build step of an update, shared by `krazy-tui update` and the dashboard's update pane: the user's own gok writes the gaf, its lines become events, a missing or failing gok an UpdateFailure naming the device.
import type {DeviceTarget} from '../device-target.js';
import {buildGaf, gokInstanceOf, GokError} from './gok-build.js';
import {UpdateFailure, type UpdateEvent} from './update-events.js';

export type BuildStepOptions = {
	env?: NodeJS.ProcessEnv;
	signal?: AbortSignal;
	/** The gok command; default "gok" from PATH. */
	gok?: string;
};

/** `gok overwrite --gaf ARCHIVE` for a gok instance's target; nothing is sent to the device. */
export async function buildForUpdate(target: DeviceTarget, archive: string, options: BuildStepOptions, onEvent: (event: UpdateEvent) => void): Promise<void> {
	const instance = gokInstanceOf(target);
	if (!instance) {
		throw new UpdateFailure(target.name, 'build', `${target.name}: not a gok instance, so there is nothing to build: give an archive`, 'untouched');
	}

	onEvent({type: 'phase', device: target.name, phase: 'build'});
	try {
		await buildGaf(instance, archive, {
			env: options.env,
			signal: options.signal,
			gok: options.gok,
			secrets: target.password ? [target.password] : [],
			onLine: line => onEvent({type: 'build-line', device: target.name, line}),
		});
	} catch (error) {
		if (!(error instanceof GokError)) {
			throw error;
		}

		const tail = error.lastLines.filter(line => line.trim() !== '').slice(-6);
		const shown = tail.length > 0 && !error.missing ? ` (gok's last lines: ${tail.map(line => line.trim()).join(' | ')})` : '';
		const failure = new UpdateFailure(target.name, 'build', `${target.name}: ${error.message}${shown}; nothing was sent to the device`, 'untouched', {cancelled: options.signal?.aborted === true});
		onEvent({type: 'failed', device: target.name, phase: 'build', message: failure.message, switched: false, standing: 'untouched'});
		throw failure;
	}
}
