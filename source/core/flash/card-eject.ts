// The last step: power the card off (udisksctl power-off, else eject) so it can be pulled out.
import {execFile} from 'node:child_process';
import {findProgram} from './program-path.js';

export type PowerOffResult = {
	method: 'udisksctl' | 'eject' | 'none';
	ok: boolean;
	/** One sentence for the finish screen. */
	message: string;
};

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<{code: number; output: string}> {
	return new Promise(resolve => {
		execFile(command, args, {env, timeout: 30_000}, (error, stdout, stderr) => {
			const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
			resolve({code, output: `${String(stderr)}${String(stdout)}`.trim()});
		});
	});
}

/** Powers the card off where the system allows it. Never throws: the card is already flushed. */
export async function powerOffCard(devicePath: string, options: {env: NodeJS.ProcessEnv; isLoop?: boolean}): Promise<PowerOffResult> {
	if (options.isLoop || /^\/dev\/loop\d+$/.test(devicePath)) {
		return {method: 'none', ok: true, message: 'a loop device has nothing to power off'};
	}

	const udisksctl = await findProgram('udisksctl', options.env);
	let failure = '';
	if (udisksctl) {
		const result = await run(udisksctl, ['power-off', '--block-device', devicePath, '--no-user-interaction'], options.env);
		if (result.code === 0) {
			return {method: 'udisksctl', ok: true, message: 'the card is powered off: you can take it out'};
		}

		failure = result.output.split('\n', 1)[0] ?? '';
	}

	const eject = await findProgram('eject', options.env);
	if (eject) {
		const result = await run(eject, [devicePath], options.env);
		if (result.code === 0) {
			return {method: 'eject', ok: true, message: 'the card is ejected: you can take it out'};
		}

		failure = result.output.split('\n', 1)[0] || failure;
	}

	const why = failure ? ` (${failure})` : udisksctl || eject ? '' : ' (neither udisksctl nor eject is installed)';
	return {method: 'none', ok: false, message: `could not power the card off${why}; it is flushed, so you can take it out`};
}
