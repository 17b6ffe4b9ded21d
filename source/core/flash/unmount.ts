// Unmounts the file systems of a card before it is written (offered by the wizard, --unmount in the CLI).
import {execFile} from 'node:child_process';
import {FlashError} from './flash-error.js';
import {findProgram} from './program-path.js';

/** Unmounts each mountpoint (swap is never touched: swap makes a refuse verdict). Throws naming the first that stays. */
export async function unmountAll(devicePath: string, mountpoints: readonly string[], env: NodeJS.ProcessEnv): Promise<void> {
	const umount = await findProgram('umount', env) ?? 'umount';
	for (const mountpoint of mountpoints) {
		const failure = await new Promise<string | undefined>(resolve => {
			execFile(umount, [mountpoint], {env, timeout: 30_000}, (error, _stdout, stderr) => {
				resolve(error ? (String(stderr).trim().split('\n', 1)[0] || error.message) : undefined);
			});
		});
		if (failure !== undefined) {
			throw new FlashError(devicePath, 'busy', `could not unmount ${mountpoint}: ${failure}`);
		}
	}
}
